// kill -9 at random moments while a child process writes to the outbox and replays it to the
// real server: no acknowledged write is lost, none is duplicated, and the file stays sound.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schedule } from '../../../shared/api/resources';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { bundleCacheChild } from '../../testing/bundle-child';
import { tempDir } from '../../testing/temp';

const CYCLES = Number(process.env.CADENCE_CRASH_CYCLES ?? 50);

let api: ApiServer;
let child: string;
let schedule: Schedule;
const dir = tempDir('cadence-crash-');

beforeAll(async () => {
  api = await startApiServer();
  child = await bundleCacheChild();
  const created = await api.send<Schedule>('POST', '/api/v1/scheduling/calendar', {
    title: 'crash',
    items: [{ content_id: 'seed', platform: 'tiktok', scheduled_time: new Date(Date.now() + 86_400_000).toISOString() }],
  });
  schedule = created.body;
});
afterAll(async () => {
  await api.close();
  dir.remove();
});

/** Runs the child until it is killed (after `killAfterMs` from "ready") or exits; returns its acks. */
function run(args: string[], killAfterMs: number | null): Promise<{ acks: string[]; lines: string[]; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (line === 'ready' && killAfterMs !== null) setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (code !== null && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      else if (stderr) reject(new Error(`child said: ${stderr}`));
      else resolve({ acks: lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4)), lines, code, signal });
    });
  });
}

describe('outbox under kill -9', () => {
  it(`loses and duplicates nothing over ${CYCLES} kills`, { timeout: 170_000 }, async () => {
    const cacheDir = join(dir.path, 'cache');
    const acked: string[] = [];
    let kills = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const killAfter = 5 + Math.floor(Math.random() * 120);
      const result = await run(['writer', cacheDir, api.url, api.apiKey, schedule.id, `c${cycle}`], killAfter);
      if (result.signal === 'SIGKILL') kills++;
      acked.push(...result.acks);
      const db = new Database(join(cacheDir, 'cache.sqlite'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // Every acknowledged write of this run is durable: in the outbox still, or already sent.
      const queued = new Set(
        db.prepare<[], { payload: string }>('SELECT payload FROM outbox').all().map((r) => (JSON.parse(r.payload) as { item: { content_id: string } }).item.content_id),
      );
      const missingLocally = result.acks.filter((id) => !queued.has(id));
      if (missingLocally.length > 0) {
        const onServer = new Set(
          ((await api.get<Schedule>(`/api/v1/scheduling/calendar/${schedule.id}?expand=items`)).items ?? []).map((i) => i.content_id),
        );
        expect(missingLocally.filter((id) => !onServer.has(id))).toEqual([]);
      }
      db.close();
    }
    expect(kills).toBe(CYCLES);
    expect(acked.length).toBeGreaterThan(CYCLES);

    const final = await run(['drain', cacheDir, api.url, api.apiKey], null);
    expect(final.lines).toContain('drained 0');

    const items = ((await api.get<Schedule>(`/api/v1/scheduling/calendar/${schedule.id}?expand=items`)).items ?? []).filter((i) => i.content_id !== 'seed');
    const ids = items.map((i) => i.content_id);
    // No duplicates: each write reached the server once, however often it was retried.
    expect(new Set(ids).size).toBe(ids.length);
    // No acknowledged write lost.
    const onServer = new Set(ids);
    expect(acked.filter((id) => !onServer.has(id))).toEqual([]);
    // Anything beyond the acks is at most the one write per run committed just before the kill
    // (durable, but killed before it could say so).
    const extra = ids.filter((id) => !acked.includes(id));
    const perCycle = new Map<string, number>();
    for (const id of extra) perCycle.set(id.split('-')[0] as string, (perCycle.get(id.split('-')[0] as string) ?? 0) + 1);
    for (const count of perCycle.values()) expect(count).toBe(1);
    process.stdout.write(`kill -9 cycles: ${CYCLES}, acknowledged writes: ${acked.length}, on the server: ${ids.length}\n`);
  });
});
