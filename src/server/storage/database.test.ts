import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { openStorage, type Storage } from './database';

let storage: Storage | null = null;
let dataDir = '';

afterEach(async () => {
  await storage?.close();
  storage = null;
  rmSync(dataDir, { recursive: true, force: true });
});

it('opens SQLite in WAL mode with every commit synced (an acknowledged write survives a power loss)', async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cadence-storage-'));
  storage = await openStorage({ dataDir });
  const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(storage.db);
  const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db);
  expect(journal.rows[0]?.journal_mode).toBe('wal');
  // 2 = FULL: under WAL, NORMAL (1) may lose the last commits to a power loss.
  expect(synchronous.rows[0]?.synchronous).toBe(2);
});
