/**
 * The cache database: one SQLite file in the app data dir, WAL, versioned migrations, and one
 * writer (this process). When the file cannot be opened for writing (read-only dir, full disk)
 * the cache still answers: read-only on the existing file, or an in-memory database, with the
 * reason kept for the status bar. Write failures become CacheError values, never corruption:
 * every write runs in a transaction that SQLite rolls back on SQLITE_FULL/READONLY.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export class CacheError extends Error {
  constructor(
    readonly code: 'cache_full' | 'cache_read_only' | 'cache_corrupt' | 'cache_io',
    message: string,
  ) {
    super(message);
  }
}

/** Maps SQLite's errors to a message a person can act on. */
export function toCacheError(error: unknown): CacheError | null {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL') return new CacheError('cache_full', 'the disk holding the cache is full; free some space (changes were not saved)');
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new CacheError('cache_read_only', 'the cache folder is read-only; changes cannot be saved on this machine');
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return new CacheError('cache_corrupt', 'the cache file is damaged');
  if (code.startsWith('SQLITE_IOERR')) return new CacheError('cache_io', `the cache could not be written (${code})`);
  return null;
}

const MIGRATIONS: string[] = [
  // 1: the mirrored resources, TTL entries, the event cursor, the outbox.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    version INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE items (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    json TEXT NOT NULL
  );
  CREATE INDEX items_by_time ON items(time_ms);
  CREATE INDEX items_by_schedule ON items(schedule_id, time_ms);
  CREATE TABLE entries (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    json TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX entries_by_expiry ON entries(expires_at);
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE id_map (local_id TEXT PRIMARY KEY, server_id TEXT NOT NULL);
  `,
  // 2: the activity feed and notifications already shown (de-duplicated across restarts).
  `
  CREATE TABLE activity (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, at TEXT NOT NULL, json TEXT NOT NULL);
  CREATE TABLE shown_notifications (id TEXT PRIMARY KEY, shown_at INTEGER NOT NULL);
  `,
  // 3: range reads come out in index order (no temp sort).
  `
  DROP INDEX items_by_time;
  CREATE INDEX items_by_time ON items(time_ms, id);
  `,
  // 4: the item's fields as columns, and the calendar's row of each item (a JSON array of the
  // fields a calendar range lists) in one covering index in time order: a month is read from
  // that index alone, one value per item, never the table or the free-form metadata
  // (docs/cache.md).
  `
  CREATE TABLE items_v4 (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    content_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    channel TEXT NOT NULL,
    scheduled_time TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT,
    attempts INTEGER NOT NULL,
    published_at TEXT,
    failure_reason TEXT,
    callbacks TEXT NOT NULL,
    version INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    metadata TEXT NOT NULL,
    extra TEXT,
    calendar_row TEXT NOT NULL
  );
  INSERT INTO items_v4
    -- The calendar row as CacheStore.putItem writes it (EventRow: platform and status codes,
    -- channel 0 when it is the platform, callbacks 0 when empty).
    SELECT c.*, json_array(c.time_ms, c.id, c.schedule_id, c.content_id,
      CASE c.platform WHEN 'youtube' THEN 0 WHEN 'tiktok' THEN 1 WHEN 'instagram' THEN 2 WHEN 'linkedin' THEN 3 ELSE c.platform END,
      CASE WHEN c.channel = c.platform THEN 0 ELSE c.channel END,
      c.scheduled_time,
      CASE c.status WHEN 'scheduled' THEN 0 WHEN 'processing' THEN 1 WHEN 'published' THEN 2 WHEN 'failed' THEN 3 WHEN 'cancelled' THEN 4
        ELSE c.status END,
      c.title, c.attempts, c.published_at, c.failure_reason,
      CASE WHEN json(c.callbacks) = '{}' THEN 0 ELSE json(c.callbacks) END,
      c.version, c.pending)
    FROM (SELECT id, schedule_id, time_ms,
      ifnull(json_extract(json, '$.content_id'), '') AS content_id,
      ifnull(json_extract(json, '$.platform'), '') AS platform,
      ifnull(json_extract(json, '$.channel'), ifnull(json_extract(json, '$.platform'), '')) AS channel,
      ifnull(json_extract(json, '$.scheduled_time'), '') AS scheduled_time,
      status,
      CASE json_type(json, '$.metadata.title') WHEN 'text' THEN json_extract(json, '$.metadata.title') END AS title,
      ifnull(json_extract(json, '$.attempts'), 0) AS attempts,
      json_extract(json, '$.published_at') AS published_at,
      json_extract(json, '$.failure_reason') AS failure_reason,
      CASE json_type(json, '$.callbacks') WHEN 'object' THEN json_extract(json, '$.callbacks') ELSE '{}' END AS callbacks,
      version, pending,
      ifnull(json_extract(json, '$.updated_at'), '') AS updated_at,
      CASE json_type(json, '$.metadata') WHEN 'object' THEN json_extract(json, '$.metadata') ELSE '{}' END AS metadata,
      nullif(json_remove(json, '$.id', '$.schedule_id', '$.content_id', '$.platform', '$.channel', '$.scheduled_time',
        '$.status', '$.attempts', '$.published_at', '$.failure_reason', '$.callbacks', '$.version', '$.updated_at',
        '$.metadata', '$.schedule_title', '$.schedule_timezone', '$.pending'), '{}') AS extra
      FROM items) AS c;
  DROP TABLE items;
  ALTER TABLE items_v4 RENAME TO items;
  CREATE INDEX items_by_schedule ON items(schedule_id, time_ms);
  CREATE INDEX items_calendar ON items(time_ms, id, calendar_row);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenedCache {
  db: Db;
  /** Why the cache cannot save changes (read-only, full, in-memory fallback), or null. */
  problem: string | null;
  path: string | null;
}

/** Brings the file to `target` (the current schema; tests build older files with a lower one). */
export function migrate(db: Db, target = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new CacheError('cache_corrupt', `the cache was written by a newer Cadence (schema ${current} > ${MIGRATIONS.length})`);
  }
  for (let version = current; version < Math.min(target, MIGRATIONS.length); version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

function configure(db: Db): void {
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL is durable against process crashes (kill -9); FULL adds power-loss safety
  // for the outbox, which is where an acknowledged write must not be lost.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 2000');
  db.pragma('foreign_keys = ON');
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Opens (and migrates) the cache in `dir`; never throws for an unwritable dir. */
export function openCacheDatabase(dir: string | null): OpenedCache {
  if (dir === null) return memory(null);
  const path = join(dir, 'cache.sqlite');
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    // handled below: read-only or in-memory
  }
  if (existsSync(dir) && writable(dir)) {
    try {
      const db = new Database(path);
      configure(db);
      migrate(db);
      return { db, problem: null, path };
    } catch (error) {
      const mapped = toCacheError(error);
      if (!mapped || mapped.code === 'cache_corrupt') throw mapped ?? error;
      return fallback(path, mapped.message);
    }
  }
  return fallback(path, `the data folder ${dir} is read-only; changes cannot be saved`);
}

/**
 * The file cannot be written: work on an in-memory copy of it (reads show the last known
 * calendar, live sync keeps working), and say that nothing will be kept after Cadence closes.
 * The file itself is never touched, so it cannot be corrupted.
 */
function fallback(path: string, problem: string): OpenedCache {
  const note = `${problem}; changes are kept in memory only until Cadence closes`;
  if (existsSync(path)) {
    try {
      const image = readFileSync(path);
      // A WAL-mode header (format 2) cannot be deserialized; the rollback header (1) can.
      if (image.length >= 20 && image[18] === 2 && image[19] === 2) {
        image[18] = 1;
        image[19] = 1;
      }
      const db = new Database(image);
      migrate(db);
      return { db, problem: note, path: null };
    } catch {
      // unreadable too: start empty
    }
  }
  return memory(note);
}

function memory(problem: string | null): OpenedCache {
  const db = new Database(':memory:');
  migrate(db);
  return { db, problem, path: null };
}
