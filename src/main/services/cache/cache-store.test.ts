// The cache on real SQLite: events with the cursor, L1 invalidation, retention, and a disk that
// is read-only or full (clear errors, no corruption).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../shared/api/events';
import type { Item } from '../../../shared/api/resources';
import { bundleCacheChild } from '../../testing/bundle-child';
import { tempDir } from '../../testing/temp';
import { CacheStore, RETENTION } from './cache-store';
import { CacheError, migrate, openCacheDatabase, SCHEMA_VERSION } from './database';

const dir = tempDir('cadence-cache-');
afterAll(() => dir.remove());

function item(id: string, at: string, version = 1, extra: Partial<Item> = {}): Item {
  return {
    id,
    schedule_id: 'sch_1',
    content_id: `c-${id}`,
    platform: 'youtube',
    channel: 'youtube',
    scheduled_time: at,
    status: 'scheduled',
    metadata: {},
    callbacks: {},
    attempts: 0,
    version,
    updated_at: at,
    ...extra,
  };
}

const schedule = { id: 'sch_1', title: 'Launch', timezone: 'UTC', status: 'active' as const, processing_deadline_ms: 1, version: 1, item_count: 0, created_at: '2030-01-01T00:00:00Z', updated_at: '2030-01-01T00:00:00Z' };

function event(seq: number, type: ServerEvent['type'], data: Record<string, unknown>): ServerEvent {
  return { seq, type, schedule_id: 'sch_1', occurred_at: '2030-01-01T00:00:00Z', data };
}

describe('cache store', () => {
  it('migrates a new file to the current schema in WAL mode', () => {
    const opened = openCacheDatabase(join(dir.path, 'fresh'));
    expect(opened.problem).toBeNull();
    expect(opened.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(opened.db.pragma('journal_mode', { simple: true })).toBe('wal');
    opened.db.close();
    // Reopening does not migrate twice.
    const again = openCacheDatabase(join(dir.path, 'fresh'));
    expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    again.db.close();
  });

  it('migrates a file written at schema 3 (items as JSON) to columns, keeping every field', () => {
    const path = join(dir.path, 'v3');
    mkdirSync(path, { recursive: true });
    const old = new Database(join(path, 'cache.sqlite'));
    migrate(old, 3);
    const rows: Array<[Item & Record<string, unknown>, number]> = [
      [item('plain', '2030-01-02T10:00:00Z', 3, { metadata: { title: 'Teaser', tags: ['a'] }, callbacks: { on_published: 'https://example.com/hook' } }), 0],
      // Optional fields missing, a non-string title, a field this version does not know, pending.
      [{ ...item('odd', '2030-01-02T09:00:00+02:00', 2, { metadata: { title: 7 }, status: 'failed', attempts: 3 }), published_at: null, failure_reason: 'timeout', future_field: { x: 1 } }, 1],
      [item('late', '2030-02-01T00:00:00Z', 1, { published_at: '2030-02-01T00:00:01Z', status: 'published', channel: 'second-channel', platform: 'tiktok' }), 0],
    ];
    const insert = old.prepare('INSERT INTO items(id, schedule_id, time_ms, status, version, pending, json) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const [it, pending] of rows) insert.run(it.id, it.schedule_id, Date.parse(it.scheduled_time), it.status, it.version, pending, JSON.stringify(it));
    old.prepare("INSERT INTO meta(key, value) VALUES ('cursor', '42')").run();
    old.close();

    const opened = openCacheDatabase(path);
    expect(opened.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const cache = new CacheStore(opened.db);
    expect(cache.cursor).toBe(42);
    for (const [it, pending] of rows) {
      // Absent optional fields come back as null (the contract allows both).
      expect(cache.item(it.id)).toEqual({ item: { published_at: null, failure_reason: null, ...it }, pending: pending === 1 });
    }
    const january = cache.range(Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-02-01T00:00:00Z'));
    expect(january.map((e) => [e.id, e.title, e.status, e.pending, e.attempts, e.failure_reason])).toEqual([
      ['odd', null, 'failed', true, 3, 'timeout'],
      ['plain', 'Teaser', 'scheduled', false, 0, null],
    ]);
    expect(january[1]).toEqual({
      id: 'plain', schedule_id: 'sch_1', content_id: 'c-plain', platform: 'youtube', channel: 'youtube', scheduled_time: '2030-01-02T10:00:00Z',
      status: 'scheduled', title: 'Teaser', callbacks: { on_published: 'https://example.com/hook' }, attempts: 0, published_at: null,
      failure_reason: null, version: 3, schedule_title: '', schedule_timezone: 'UTC', pending: false,
    });
    // A migrated row reads the same as one written now.
    const now = openCacheDatabase(join(dir.path, 'v3-written-now'));
    const fresh = new CacheStore(now.db);
    fresh.write(() => { for (const [it, pending] of rows) fresh.putItem(it, pending === 1); });
    expect(fresh.range(0, Date.parse('2031-01-01T00:00:00Z'))).toEqual(cache.range(0, Date.parse('2031-01-01T00:00:00Z')));
    expect(opened.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    now.db.close();
    opened.db.close();
  });

  it('lists calendar rows without metadata; the whole item (metadata, unknown fields) stays', () => {
    const opened = openCacheDatabase(join(dir.path, 'shape'));
    const cache = new CacheStore(opened.db);
    const whole = { ...item('x', '2030-01-02T10:00:00Z', 1, { metadata: { title: 'Launch video', mood: 'calm' } }), published_at: null, failure_reason: null, region: 'eu' };
    cache.write(() => {
      cache.putSchedule(schedule);
      cache.putItem(whole);
    });
    const [row] = cache.range(Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-02-01T00:00:00Z'));
    expect(row).not.toHaveProperty('metadata');
    expect(row?.title).toBe('Launch video');
    expect(cache.item('x')?.item).toEqual(whole);
    expect(cache.itemsOf('sch_1')[0]).toEqual({ ...whole, schedule_title: 'Launch', schedule_timezone: 'UTC', pending: false });
    opened.db.close();
  });

  it('applies events with the cursor in one transaction and skips replays', () => {
    const opened = openCacheDatabase(join(dir.path, 'events'));
    const cache = new CacheStore(opened.db);
    cache.write(() => cache.applyEvents([event(1, 'schedule.created', { ...schedule, items: [item('i1', '2030-01-02T10:00:00Z')] })]));
    expect(cache.cursor).toBe(1);
    expect(cache.range(0, Date.parse('2031-01-01T00:00:00Z')).map((i) => i.id)).toEqual(['i1']);
    const moved = event(2, 'item.rescheduled', { ...item('i1', '2030-01-03T10:00:00Z', 2), previous_scheduled_time: '2030-01-02T10:00:00Z', changed: ['scheduled_time'] });
    cache.write(() => cache.applyEvents([moved]));
    // A replay of older events (after a reconnect) changes nothing.
    const replay = cache.write(() => cache.applyEvents([event(1, 'schedule.created', { ...schedule, items: [item('i1', '2030-01-02T10:00:00Z')] }), moved]));
    expect(replay.applied).toHaveLength(0);
    expect(cache.item('i1')?.item.scheduled_time).toBe('2030-01-03T10:00:00Z');
    expect(cache.item('i1')?.item).not.toHaveProperty('previous_scheduled_time');
    expect(cache.cursor).toBe(2);
    // A failing apply rolls the cursor back with the rows.
    expect(() =>
      cache.write(() => {
        cache.applyEvents([event(3, 'item.deleted', { id: 'i1' })]);
        throw new Error('crash mid-transaction');
      }),
    ).toThrow('crash');
    expect(cache.cursor).toBe(2);
    expect(cache.item('i1')).not.toBeNull();
    opened.db.close();
  });

  it('keeps a cancelled (server-deleted) item as cancelled, through replays and a full resync', () => {
    const opened = openCacheDatabase(join(dir.path, 'cancelled'));
    const cache = new CacheStore(opened.db);
    const created = event(1, 'schedule.created', { ...schedule, items: [item('i1', '2030-01-02T10:00:00Z'), item('i2', '2030-01-02T18:00:00Z')] });
    cache.write(() => cache.applyEvents([created]));
    // Deleting an unpublished item is how the server cancels it; its data is the item as it was.
    cache.write(() => cache.applyEvents([event(2, 'item.deleted', { ...item('i1', '2030-01-02T10:00:00Z') })]));
    const day = [Date.parse('2030-01-02T00:00:00Z'), Date.parse('2030-01-03T00:00:00Z')] as const;
    expect(cache.range(...day).map((i) => [i.id, i.status])).toEqual([['i1', 'cancelled'], ['i2', 'scheduled']]);
    expect(cache.itemsOf('sch_1').find((i) => i.id === 'i1')?.status).toBe('cancelled');
    expect(cache.item('i1')).toMatchObject({ pending: false, item: { version: 2 } });
    // The counts stay the server's (which no longer has i1).
    expect(cache.listSchedules()[0]?.counts).toEqual({ scheduled: 1 });
    // A snapshot of the live item that crosses the delete (same version) does not revive it.
    cache.putIfNewer(item('i1', '2030-01-02T10:00:00Z'));
    expect(cache.item('i1')?.item.status).toBe('cancelled');
    // A full resync keeps it while its schedule exists, and drops it with the schedule.
    cache.write(() => cache.replaceAll([schedule], [item('i2', '2030-01-02T18:00:00Z')]));
    expect(cache.range(...day).map((i) => [i.id, i.status])).toEqual([['i1', 'cancelled'], ['i2', 'scheduled']]);
    cache.write(() => cache.replaceAll([], []));
    expect(cache.item('i1')).toBeNull();
    opened.db.close();
  });

  it('serves hot reads from memory until the mirror changes', () => {
    const opened = openCacheDatabase(join(dir.path, 'l1'));
    const cache = new CacheStore(opened.db);
    cache.write(() => {
      cache.putSchedule(schedule);
      cache.putItem(item('a', '2030-01-02T10:00:00Z'));
    });
    const january = [Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-02-01T00:00:00Z')] as const;
    const first = cache.range(...january);
    expect(first[0]?.schedule_title).toBe('Launch');
    // The month's parsed rows are reused: the same objects come back.
    expect(cache.range(...january)[0]).toBe(first[0]);
    // A write in another month keeps this one hot; a write in this month refreshes it.
    cache.write(() => cache.putItem(item('march', '2030-03-02T11:00:00Z')));
    expect(cache.range(...january)[0]).toBe(first[0]);
    cache.write(() => cache.putItem(item('b', '2030-01-02T11:00:00Z')));
    expect(cache.range(...january).map((i) => i.id)).toEqual(['a', 'b']);
    // Moving an item out of the month drops it from the month's answer.
    cache.write(() => cache.putItem(item('b', '2030-03-05T11:00:00Z', 2)));
    expect(cache.range(...january).map((i) => i.id)).toEqual(['a']);
    expect(cache.range(Date.parse('2030-03-01T00:00:00Z'), Date.parse('2030-04-01T00:00:00Z')).map((i) => i.id)).toEqual(['march', 'b']);
    // A schedule rename shows at once in the cached month.
    cache.write(() => cache.putSchedule({ ...schedule, title: 'Relaunch', version: 2 }));
    expect(cache.range(...january)[0]?.schedule_title).toBe('Relaunch');
    // Sub-month ranges are cut from the month.
    expect(cache.range(Date.parse('2030-01-02T10:30:00Z'), Date.parse('2030-01-03T00:00:00Z'))).toEqual([]);
    opened.db.close();
  });

  it('keeps loaded months equal to SQLite under any sequence of writes (property)', () => {
    const opened = openCacheDatabase(join(dir.path, 'l1-property'));
    const cache = new CacheStore(opened.db);
    cache.write(() => cache.putSchedule(schedule));
    const months = [Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-02-01T00:00:00Z'), Date.parse('2030-03-01T00:00:00Z')];
    const quarter = (minute: number) => (months[0] as number) + minute * 15 * 60_000;
    const op = fc.record({
      remove: fc.boolean(),
      id: fc.integer({ min: 0, max: 30 }),
      // Around month edges too, and equal times (ordered by id then).
      minute: fc.integer({ min: 0, max: 3 * 31 * 24 * 4 }),
      version: fc.integer({ min: 1, max: 5 }),
      status: fc.constantFrom('scheduled' as const, 'published' as const, 'cancelled' as const),
      pending: fc.boolean(),
      // A read between writes: loads (or extends) part of a month.
      read: fc.option(fc.record({ minute: fc.integer({ min: 0, max: 3 * 31 * 24 * 4 }), length: fc.integer({ min: 1, max: 40 * 24 * 4 }) }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 3 * 31 * 24 * 4 }), { maxLength: 4 }), (ops, starts) => {
        cache.write(() => cache.db.prepare('DELETE FROM items').run());
        cache.clearMemory();
        // Load parts of months (spans that start and end anywhere).
        for (const start of starts) cache.range(quarter(start), quarter(start) + 9 * 86_400_000);
        for (const o of ops) {
          cache.write(() => {
            if (o.remove) cache.removeItem(`i${o.id}`);
            else cache.putItem(item(`i${o.id}`, new Date(quarter(o.minute)).toISOString(), o.version, { status: o.status, metadata: { title: `t${o.minute}` } }), o.pending);
          });
          if (o.read) cache.range(quarter(o.read.minute), quarter(o.read.minute + o.read.length));
        }
        const fresh = new CacheStore(opened.db);
        for (const month of [...months, Date.parse('2030-04-01T00:00:00Z')]) {
          const from = month;
          const to = Date.UTC(new Date(month).getUTCFullYear(), new Date(month).getUTCMonth() + 1, 1);
          // Whole rows: what a write put in memory is what SQLite gives.
          expect(cache.range(from, to)).toEqual(fresh.range(from, to));
        }
      }),
      { numRuns: 60 },
    );
    opened.db.close();
  });

  it('prunes by the retention policy but keeps pending rows', () => {
    const opened = openCacheDatabase(join(dir.path, 'retention'));
    const cache = new CacheStore(opened.db);
    const now = Date.parse('2031-06-01T00:00:00Z');
    const old = new Date(now - RETENTION.itemAgeMs - 86_400_000).toISOString();
    cache.write(() => {
      cache.putItem(item('old', old));
      cache.putItem(item('old-pending', old), true);
      cache.putItem(item('recent', new Date(now - 86_400_000).toISOString()));
    });
    expect(cache.prune(now)).toBe(1);
    expect(cache.item('old')).toBeNull();
    expect(cache.item('old-pending')).not.toBeNull();
    expect(cache.item('recent')).not.toBeNull();
    opened.db.close();
  });

  it('a full disk is a clear error, nothing is half-written, and the file stays sound', () => {
    const opened = openCacheDatabase(join(dir.path, 'full'));
    const cache = new CacheStore(opened.db);
    cache.write(() => cache.putItem(item('keep', '2030-01-02T10:00:00Z')));
    const pages = opened.db.pragma('page_count', { simple: true }) as number;
    // Simulates SQLITE_FULL: the file may not grow past its current size (+ a few pages).
    opened.db.pragma(`max_page_count = ${pages + 2}`);
    let failure: unknown = null;
    try {
      cache.write(() => {
        for (let i = 0; i < 5000; i++) cache.putItem(item(`big-${i}`, '2030-01-03T10:00:00Z', 1, { metadata: { blob: 'x'.repeat(2000) } }));
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(CacheError);
    expect((failure as CacheError).code).toBe('cache_full');
    expect((failure as CacheError).message).toMatch(/disk .* full/);
    expect(cache.problem).toMatch(/full/);
    // All or nothing: none of the batch landed, the earlier row is intact, reads still work.
    expect(cache.range(0, Date.parse('2031-01-01T00:00:00Z')).map((i) => i.id)).toEqual(['keep']);
    expect(opened.db.pragma('integrity_check', { simple: true })).toBe('ok');
    opened.db.close();
  });
});

describe('cache in a read-only data dir', () => {
  let child: string;
  beforeAll(async () => {
    child = await bundleCacheChild();
  });

  it('works on an in-memory copy with a clear problem, and leaves the file intact', () => {
    const roDir = join(dir.path, 'ro');
    mkdirSync(roDir);
    chmodSync(dir.path, 0o755);
    const opened = openCacheDatabase(roDir);
    const cache = new CacheStore(opened.db);
    cache.write(() => cache.putSchedule(schedule));
    opened.db.close();
    chmodSync(roDir, 0o555);
    chmodSync(join(roDir, 'cache.sqlite'), 0o444);
    try {
      // root ignores permissions, so the check runs as an unprivileged user when we are root.
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const out = execFileSync(process.execPath, [child, 'readonly', roDir], { ...asUser, encoding: 'utf8', timeout: 20_000 });
      const report = JSON.parse(out.trim()) as { problem: string; schedules: number; write: string; path: string | null };
      // Usable: the last known calendar is there, changes work for the session, and the
      // problem says they will not be kept.
      expect(report.problem).toMatch(/read-only.*kept in memory only/);
      expect(report.schedules).toBe(1);
      expect(report.write).toBe('ok');
      expect(report.path).toBeNull();
    } finally {
      chmodSync(roDir, 0o755);
    }
    const check = new Database(join(roDir, 'cache.sqlite'));
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });
});
