/**
 * The cache's typed operations over the SQLite mirror: schedules, items, TTL entries
 * (recommendations, heatmaps, platforms), the event cursor, activity and shown notifications.
 * A memory L1 sits in front of the hot reads (calendar ranges, schedule list) and is dropped
 * whenever the mirror changes. Every write goes through `write`, which maps disk problems to
 * CacheError values.
 */
import type { ServerEvent } from '../../../shared/api/events';
import type { Item, Schedule } from '../../../shared/api/resources';
import type { ActivityEntry, CalendarEvent, CalendarItem } from '../../../shared/bridge';
import { CacheError, toCacheError, type Db } from './database';

export const TTL = {
  recommendations: 5 * 60_000,
  heatmaps: 5 * 60_000,
  schedules: 60_000,
  platforms: 60 * 60_000,
} as const;

/** Retention (docs/cache.md). */
export const RETENTION = {
  /** Items whose time is older than this are dropped from the mirror (they remain on the server). */
  itemAgeMs: 400 * 24 * 3600_000,
  activityRows: 1000,
  shownNotificationsAgeMs: 30 * 24 * 3600_000,
  /** TTL entries are kept this long past expiry (stale answers beat none while offline). */
  entryGraceMs: 7 * 24 * 3600_000,
} as const;

export type ScheduleRecord = Omit<Schedule, 'items' | 'metrics'>;

export interface ChangeSet {
  schedules: boolean;
  items: boolean;
  scheduleIds: Set<string>;
}

function emptyChanges(): ChangeSet {
  return { schedules: false, items: false, scheduleIds: new Set() };
}

/** Fields of Item kept in columns of their own; anything else the server sends goes to `extra`. */
const ITEM_COLUMNS: ReadonlySet<string> = new Set([
  'id', 'schedule_id', 'content_id', 'platform', 'channel', 'scheduled_time', 'status', 'metadata', 'callbacks',
  'attempts', 'published_at', 'failure_reason', 'version', 'updated_at',
  // A calendar shape handed back as an item: these are computed at read time, never stored.
  'schedule_title', 'schedule_timezone', 'pending', 'title',
]);

/**
 * Codes of the calendar row (stored in files: append only, never reorder). A value outside the
 * list is stored as itself.
 */
const PLATFORM_CODES: readonly string[] = ['youtube', 'tiktok', 'instagram', 'linkedin'];
const STATUS_CODES: readonly string[] = ['scheduled', 'processing', 'published', 'failed', 'cancelled'];

/**
 * An item's calendar row, stored as JSON text in `calendar_row` (putItem writes it; migration 4
 * builds the same from SQL). Compact, as every byte and every string is paid per read: platform
 * and status as codes, channel 0 when it is the platform, callbacks 0 when empty.
 */
type EventRow = [
  timeMs: number, id: string, scheduleId: string, contentId: string, platform: number | string, channel: 0 | string,
  scheduledTime: string, status: number | string, title: string | null, attempts: number, publishedAt: string | null,
  failureReason: string | null, callbacks: 0 | Item['callbacks'], version: number, pending: number,
];

function encode(value: string, codes: readonly string[]): number | string {
  const code = codes.indexOf(value);
  return code >= 0 ? code : value;
}

/**
 * A month of calendar rows comes out of the covering index `items_calendar` alone (time order,
 * no table lookups, no metadata), one JSON array string per item: one value per row is what
 * makes the read cheap (better-sqlite3 pays per value handed to JavaScript; a column per field
 * costs twice as much, and building the array in SQL with json_array more than reading it).
 */
const EVENT_SELECT = 'SELECT calendar_row FROM items INDEXED BY items_calendar';

/** The whole item (schedules.get, ICS, the outbox's base rows). */
const ITEM_SELECT = `SELECT id, schedule_id, content_id, platform, channel, scheduled_time, status, metadata, callbacks, attempts,
  published_at, failure_reason, version, updated_at, pending, extra FROM items`;

type ItemRow = [
  id: string, scheduleId: string, contentId: string, platform: Item['platform'], channel: string, scheduledTime: string,
  status: Item['status'], metadata: string, callbacks: string, attempts: number, publishedAt: string | null,
  failureReason: string | null, version: number, updatedAt: string, pending: number, extra: string | null,
];

function fullItem(row: ItemRow): { item: Item; pending: boolean } {
  const item: Item = {
    id: row[0],
    schedule_id: row[1],
    content_id: row[2],
    platform: row[3],
    channel: row[4],
    scheduled_time: row[5],
    status: row[6],
    metadata: JSON.parse(row[7]) as Item['metadata'],
    callbacks: JSON.parse(row[8]) as Item['callbacks'],
    attempts: row[9],
    published_at: row[10],
    failure_reason: row[11],
    version: row[12],
    updated_at: row[13],
  };
  if (row[15] !== null) Object.assign(item, JSON.parse(row[15]) as Record<string, unknown>);
  return { item, pending: row[14] === 1 };
}

/**
 * Calendar rows are instances of a class, not object literals, for the garbage collector: rows
 * outlive the read (the L1 keeps them), so V8 soon pretenures an object literal's allocation
 * site and creates the rows in the old generation, where every store of a freshly parsed (young)
 * string pays the write barrier and a remembered-set entry. Objects made with `new` are not
 * pretenured that way: the bench's cold month read went from 5.7-8.4 ms to 3.1-4.9 ms (A/B in
 * the same minutes at load ~4, docs/cache.md). Own enumerable fields only, in the contract's
 * order, so the bridge, zod and JSON see a plain CalendarEvent.
 */
class CalendarRow implements CalendarEvent {
  constructor(
    public id: string,
    public schedule_id: string,
    public content_id: string,
    public platform: Item['platform'],
    public channel: string,
    public scheduled_time: string,
    public status: Item['status'],
    public title: string | null,
    public callbacks: Item['callbacks'],
    public attempts: number,
    public published_at: string | null,
    public failure_reason: string | null,
    public version: number,
    public schedule_title: string,
    public schedule_timezone: string,
    public pending: boolean,
  ) {}
}

/** The one constructor of calendar rows (same shape from SQLite and from a write). */
function makeEvent(
  id: string, scheduleId: string, contentId: string, platform: Item['platform'], channel: string, scheduledTime: string,
  status: Item['status'], title: string | null, attempts: number, publishedAt: string | null, failureReason: string | null,
  callbacks: Item['callbacks'], version: number, pending: boolean,
): CalendarEvent {
  return new CalendarRow(
    id, scheduleId, contentId, platform, channel, scheduledTime, status, title, callbacks, attempts, publishedAt, failureReason,
    version, '', 'UTC', pending,
  );
}

function titleOf(item: Item): string | null {
  const title = (item.metadata as Record<string, unknown> | undefined)?.title;
  return typeof title === 'string' ? title : null;
}

/*
 * A cold month read is bound by the garbage collector copying the new rows (4,000 objects and
 * their strings) as much as by parsing them, so rows share what they can: one frozen empty
 * callbacks object (rows are read-only to their callers) and one string per schedule id.
 */
const NO_CALLBACKS: Item['callbacks'] = Object.freeze({});
const scheduleIdStrings = new Map<string, string>();

function sharedScheduleId(id: string): string {
  const known = scheduleIdStrings.get(id);
  if (known !== undefined) return known;
  if (scheduleIdStrings.size >= 10_000) scheduleIdStrings.clear();
  scheduleIdStrings.set(id, id);
  return id;
}

function eventFromRow(r: EventRow): CalendarEvent {
  const platform = (typeof r[4] === 'number' ? PLATFORM_CODES[r[4]] : r[4]) as Item['platform'];
  const status = (typeof r[7] === 'number' ? STATUS_CODES[r[7]] : r[7]) as Item['status'];
  const callbacks = r[12] === 0 ? NO_CALLBACKS : r[12];
  return makeEvent(
    r[1], sharedScheduleId(r[2]), r[3], platform, r[5] === 0 ? platform : r[5], r[6], status, r[8], r[9], r[10], r[11], callbacks,
    r[13], r[14] === 1,
  );
}

/** First index whose time is >= ms. */
function lowerBound(times: Float64Array, ms: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The L1 of calendar rows: per UTC month, the rows of the span [lo, hi) of it read so far, in
 * SQL order (time, id). A read outside the span reads only what is missing; writes update the
 * rows in place when their time is inside a loaded span.
 */
interface MonthBucket {
  lo: number;
  hi: number;
  items: CalendarEvent[];
  /** The rows' times (unboxed: no heap number per row for the GC to copy). */
  times: Float64Array;
}

function joinTimes(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const MONTH_BUCKETS_KEPT = 36;

function monthOf(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function monthStart(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1);
}

export class CacheStore {
  private generation = 0;
  private readonly buckets = new Map<number, MonthBucket>();
  private readonly l1 = new Map<string, { generation: number; value: unknown }>();
  private scheduleMap: Map<string, { record: ScheduleRecord; pending: boolean; deleted: boolean }> | null = null;
  private readonly stmts;

  constructor(
    readonly db: Db,
    /** Why the cache cannot persist (read-only, full, memory fallback), or null. */
    public problem: string | null = null,
  ) {
    this.stmts = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      upsertSchedule: db.prepare(
        `INSERT INTO schedules(id, json, version, pending, deleted) VALUES (@id, @json, @version, @pending, @deleted)
         ON CONFLICT(id) DO UPDATE SET json = excluded.json, version = excluded.version, pending = excluded.pending, deleted = excluded.deleted`,
      ),
      deleteSchedule: db.prepare('DELETE FROM schedules WHERE id = ?'),
      upsertItem: db.prepare(
        `INSERT INTO items(id, schedule_id, time_ms, content_id, platform, channel, scheduled_time, status, title, attempts,
           published_at, failure_reason, callbacks, version, pending, updated_at, metadata, extra, calendar_row)
         VALUES (@id, @schedule_id, @time_ms, @content_id, @platform, @channel, @scheduled_time, @status, @title, @attempts,
           @published_at, @failure_reason, @callbacks, @version, @pending, @updated_at, @metadata, @extra, @calendar_row)
         ON CONFLICT(id) DO UPDATE SET schedule_id = excluded.schedule_id, time_ms = excluded.time_ms, content_id = excluded.content_id,
           platform = excluded.platform, channel = excluded.channel, scheduled_time = excluded.scheduled_time, status = excluded.status,
           title = excluded.title, attempts = excluded.attempts, published_at = excluded.published_at,
           failure_reason = excluded.failure_reason, callbacks = excluded.callbacks, version = excluded.version,
           pending = excluded.pending, updated_at = excluded.updated_at, metadata = excluded.metadata, extra = excluded.extra,
           calendar_row = excluded.calendar_row`,
      ),
      getItem: db.prepare<[string], ItemRow>(`${ITEM_SELECT} WHERE id = ?`).raw(true),
      itemMeta: db.prepare<[string], { time_ms: number; version: number; pending: number }>('SELECT time_ms, version, pending FROM items WHERE id = ?'),
      deleteItem: db.prepare('DELETE FROM items WHERE id = ?'),
      range: db.prepare<[number, number], string>(`${EVENT_SELECT} WHERE time_ms >= ? AND time_ms < ? ORDER BY time_ms, id`).pluck(true),
      itemsOf: db.prepare<[string], ItemRow>(`${ITEM_SELECT} WHERE schedule_id = ? ORDER BY time_ms, id`).raw(true),
      allSchedules: db.prepare<[], { json: string; pending: number; deleted: number }>('SELECT json, pending, deleted FROM schedules'),
      counts: db.prepare<[], { schedule_id: string; status: string; n: number }>('SELECT schedule_id, status, COUNT(*) AS n FROM items GROUP BY schedule_id, status'),
      getEntry: db.prepare<[string], { json: string; fetched_at: number; expires_at: number }>('SELECT json, fetched_at, expires_at FROM entries WHERE key = ?'),
      setEntry: db.prepare(
        `INSERT INTO entries(key, kind, json, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
      ),
      dropEntriesOfKind: db.prepare('DELETE FROM entries WHERE kind = ?'),
      addActivity: db.prepare('INSERT OR IGNORE INTO activity(id, at, json) VALUES (?, ?, ?)'),
      listActivity: db.prepare<[number], { json: string }>('SELECT json FROM activity ORDER BY seq DESC LIMIT ?'),
      shown: db.prepare<[string], { id: string }>('SELECT id FROM shown_notifications WHERE id = ?'),
      markShown: db.prepare('INSERT OR IGNORE INTO shown_notifications(id, shown_at) VALUES (?, ?)'),
    };
  }

  // ------------------------------------------------------------------ plumbing

  /** Runs `fn` in one transaction; disk problems become CacheError and nothing is half-written. */
  write<T>(fn: () => T): T {
    try {
      const result = this.db.transaction(fn)();
      return result;
    } catch (error) {
      // A month read inside the rolled-back transaction may hold rows that never were.
      this.buckets.clear();
      const mapped = toCacheError(error);
      if (mapped) {
        this.problem = mapped.message;
        throw mapped;
      } else throw error;
    } finally {
      this.invalidate();
    }
  }

  private invalidate(): void {
    this.generation += 1;
    this.scheduleMap = null;
  }

  /** Drops every memory entry (after bulk changes made with plain SQL). */
  clearMemory(): void {
    this.buckets.clear();
    this.invalidate();
  }



  /** Memory L1: answers a hot read without SQLite while nothing changed. */
  memo<T>(key: string, compute: () => T): T {
    const hit = this.l1.get(key);
    if (hit && hit.generation === this.generation) return hit.value as T;
    const value = compute();
    if (this.l1.size > 200) this.l1.clear();
    this.l1.set(key, { generation: this.generation, value });
    return value;
  }

  getMeta(key: string): string | null {
    return this.stmts.getMeta.get(key)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  get cursor(): number {
    return Number(this.getMeta('cursor') ?? 0);
  }

  // ------------------------------------------------------------------ schedules and items

  putSchedule(schedule: ScheduleRecord, pending = false): void {
    const { items: _items, metrics: _metrics, ...record } = schedule as Schedule;
    this.stmts.upsertSchedule.run({ id: record.id, json: JSON.stringify(record), version: record.version, pending: pending ? 1 : 0, deleted: 0 });
  }

  markScheduleDeleted(id: string): void {
    const current = this.schedule(id);
    if (current) {
      this.stmts.upsertSchedule.run({
        id,
        json: JSON.stringify({ ...current.record, status: 'cancelled' }),
        version: current.record.version,
        pending: 1,
        deleted: 1,
      });
    }
  }

  removeSchedule(id: string): void {
    this.stmts.deleteSchedule.run(id);
    this.db.prepare('DELETE FROM items WHERE schedule_id = ?').run(id);
    this.buckets.clear();
  }

  /** Keeps loaded months current without re-reading them: out of the old month, into the new. */
  private moveInL1(id: string, oldMs: number | undefined, event: (() => CalendarEvent) | null, newMs: number): void {
    if (oldMs !== undefined) {
      const bucket = this.buckets.get(monthOf(oldMs));
      if (bucket && oldMs >= bucket.lo && oldMs < bucket.hi) {
        let at = lowerBound(bucket.times, oldMs);
        while (at < bucket.times.length && bucket.times[at] === oldMs && (bucket.items[at] as CalendarEvent).id !== id) at++;
        if (at < bucket.times.length && bucket.times[at] === oldMs) {
          bucket.items.splice(at, 1);
          bucket.times = joinTimes(bucket.times.subarray(0, at), bucket.times.subarray(at + 1));
        }
      }
    }
    if (!event) return;
    const bucket = this.buckets.get(monthOf(newMs));
    if (!bucket || newMs < bucket.lo || newMs >= bucket.hi) return;
    // Same order as SQL: by time, then id.
    let at = lowerBound(bucket.times, newMs);
    while (at < bucket.times.length && bucket.times[at] === newMs && (bucket.items[at] as CalendarEvent).id < id) at++;
    bucket.items.splice(at, 0, event());
    const times = new Float64Array(bucket.times.length + 1);
    times.set(bucket.times.subarray(0, at), 0);
    times[at] = newMs;
    times.set(bucket.times.subarray(at), at + 1);
    bucket.times = times;
  }

  putItem(item: Item, pending = false, previousTimeMs: number | null | undefined = undefined): void {
    const timeMs = Date.parse(item.scheduled_time);
    const oldMs = previousTimeMs === undefined ? this.stmts.itemMeta.get(item.id)?.time_ms : (previousTimeMs ?? undefined);
    const channel = item.channel ?? item.platform;
    const callbacks = item.callbacks ?? {};
    const row: EventRow = [
      timeMs, item.id, item.schedule_id, item.content_id, encode(item.platform, PLATFORM_CODES), channel === item.platform ? 0 : channel,
      item.scheduled_time, encode(item.status, STATUS_CODES), titleOf(item), item.attempts ?? 0, item.published_at ?? null,
      item.failure_reason ?? null, Object.keys(callbacks).length === 0 ? 0 : callbacks, item.version, pending ? 1 : 0,
    ];
    const calendarRow = JSON.stringify(row);
    // The L1 gets the very object a read of the stored row would give (built only if a loaded span takes it).
    this.moveInL1(item.id, oldMs, () => eventFromRow(JSON.parse(calendarRow) as EventRow), timeMs);
    let extra: Record<string, unknown> | null = null;
    for (const key of Object.keys(item)) {
      if (!ITEM_COLUMNS.has(key)) (extra ??= {})[key] = (item as Record<string, unknown>)[key];
    }
    this.stmts.upsertItem.run({
      id: item.id,
      schedule_id: item.schedule_id,
      time_ms: timeMs,
      content_id: item.content_id,
      platform: item.platform,
      channel,
      scheduled_time: item.scheduled_time,
      status: item.status,
      title: titleOf(item),
      attempts: item.attempts ?? 0,
      published_at: item.published_at ?? null,
      failure_reason: item.failure_reason ?? null,
      callbacks: JSON.stringify(callbacks),
      version: item.version,
      pending: pending ? 1 : 0,
      updated_at: item.updated_at ?? '',
      metadata: JSON.stringify(item.metadata ?? {}),
      extra: extra ? JSON.stringify(extra) : null,
      calendar_row: calendarRow,
    });
  }

  /**
   * Keeps a cancelled item as a local record: the server deletes an unpublished item when it is
   * cancelled, but the calendar still shows it (badge "Cancelled", not draggable). The version
   * goes one past the server's last so a replayed event of the live item never revives it.
   */
  markItemCancelled(id: string, last?: Item | null): void {
    const row = this.item(id);
    const current = row?.item ?? last ?? null;
    if (!current) return;
    const settled = row !== null && !row.pending && current.status === 'cancelled';
    const version = settled ? current.version : Math.max(current.version, last?.version ?? 0) + 1;
    this.putItem({ ...current, status: 'cancelled', version }, false);
  }

  removeItem(id: string): void {
    this.moveInL1(id, this.stmts.itemMeta.get(id)?.time_ms, null, 0);
    this.stmts.deleteItem.run(id);
  }

  item(id: string): { item: Item; pending: boolean } | null {
    const row = this.stmts.getItem.get(id);
    return row ? fullItem(row) : null;
  }

  private schedules(): Map<string, { record: ScheduleRecord; pending: boolean; deleted: boolean }> {
    if (!this.scheduleMap) {
      const map = new Map<string, { record: ScheduleRecord; pending: boolean; deleted: boolean }>();
      for (const row of this.stmts.allSchedules.all()) {
        const record = JSON.parse(row.json) as ScheduleRecord;
        map.set(record.id, { record, pending: row.pending === 1, deleted: row.deleted === 1 });
      }
      this.scheduleMap = map;
    }
    return this.scheduleMap;
  }

  schedule(id: string): { record: ScheduleRecord; pending: boolean; deleted: boolean } | null {
    return this.schedules().get(id) ?? null;
  }

  listSchedules(): Array<{ record: ScheduleRecord; pending: boolean; counts: Record<string, number> }> {
    return this.memo('schedules', () => {
      const counts = new Map<string, Record<string, number>>();
      for (const row of this.stmts.counts.all()) {
        // Cancelled rows of a live schedule are local records (the server deleted them); the
        // counts stay the server's. A cancelled schedule's items are cancelled on the server too.
        if (row.status === 'cancelled' && this.schedules().get(row.schedule_id)?.record.status !== 'cancelled') continue;
        const entry = counts.get(row.schedule_id) ?? {};
        entry[row.status] = row.n;
        counts.set(row.schedule_id, entry);
      }
      return [...this.schedules().values()]
        .filter((s) => !s.deleted)
        .map((s) => ({ record: s.record, pending: s.pending, counts: counts.get(s.record.id) ?? {} }))
        .sort((a, b) => a.record.created_at.localeCompare(b.record.created_at) || a.record.id.localeCompare(b.record.id));
    });
  }

  /** Fills in the schedule fields at read time (titles may change); drops deleted schedules' rows. */
  private withSchedules<T extends { schedule_id: string; schedule_title: string; schedule_timezone: string }>(
    items: T[],
    only: Set<string> | null,
    start = 0,
    end = items.length,
    out: T[] = [],
  ): T[] {
    const schedules = this.schedules();
    for (let i = start; i < end; i++) {
      const item = items[i] as T;
      if (only && !only.has(item.schedule_id)) continue;
      const schedule = schedules.get(item.schedule_id);
      if (schedule?.deleted) continue;
      item.schedule_title = schedule?.record.title ?? '';
      item.schedule_timezone = schedule?.record.timezone ?? 'UTC';
      out.push(item);
    }
    return out;
  }

  /** The calendar rows of [fromMs, toMs) from the covering index, in SQL order. */
  private readEvents(fromMs: number, toMs: number): { items: CalendarEvent[]; times: Float64Array } {
    const lines = this.stmts.range.all(fromMs, toMs);
    const items = new Array<CalendarEvent>(lines.length);
    const times = new Float64Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const r = JSON.parse(lines[i] as string) as EventRow;
      times[i] = r[0];
      items[i] = eventFromRow(r);
    }
    return { items, times };
  }

  /** The month's bucket, covering at least [fromMs, toMs) of it; only the missing part is read. */
  private cover(month: number, fromMs: number, toMs: number): MonthBucket {
    let bucket = this.buckets.get(month);
    if (!bucket) {
      const read = this.readEvents(fromMs, toMs);
      bucket = { lo: fromMs, hi: toMs, items: read.items, times: read.times };
      if (this.buckets.size >= MONTH_BUCKETS_KEPT) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      this.buckets.set(month, bucket);
      return bucket;
    }
    // Anything between the loaded span and the asked one is read too: a span has no holes.
    if (fromMs < bucket.lo) {
      const before = this.readEvents(fromMs, bucket.lo);
      bucket.items = before.items.concat(bucket.items);
      bucket.times = joinTimes(before.times, bucket.times);
      bucket.lo = fromMs;
    }
    if (toMs > bucket.hi) {
      const after = this.readEvents(bucket.hi, toMs);
      bucket.items = bucket.items.concat(after.items);
      bucket.times = joinTimes(bucket.times, after.times);
      bucket.hi = toMs;
    }
    return bucket;
  }

  /** The calendar rows whose time falls in [fromMs, toMs), in time order (then id). */
  range(fromMs: number, toMs: number, scheduleIds?: string[]): CalendarEvent[] {
    const only = scheduleIds ? new Set(scheduleIds) : null;
    if (!(toMs > fromMs)) return [];
    const first = monthOf(fromMs);
    const last = monthOf(toMs - 1);
    // Wide ranges (years) go straight to SQLite rather than filling the L1 with cold months.
    if (last - first > 3) return this.withSchedules(this.readEvents(fromMs, toMs).items, only);
    const out: CalendarEvent[] = [];
    for (let month = first; month <= last; month++) {
      const from = Math.max(fromMs, monthStart(month));
      const to = Math.min(toMs, monthStart(month + 1));
      const bucket = this.cover(month, from, to);
      this.withSchedules(bucket.items, only, lowerBound(bucket.times, from), lowerBound(bucket.times, to), out);
    }
    return out;
  }

  /** A schedule's items, whole (metadata included), in time order. */
  itemsOf(scheduleId: string): CalendarItem[] {
    return this.memo(`items:${scheduleId}`, () =>
      this.withSchedules(
        this.stmts.itemsOf.all(scheduleId).map((row): CalendarItem => {
          const { item, pending } = fullItem(row);
          return { ...item, schedule_title: '', schedule_timezone: 'UTC', pending };
        }),
        null,
      ),
    );
  }

  /**
   * Replaces the mirror with the server's full state, keeping rows that still wait in the outbox
   * and the cancelled items (local records) of schedules the server still has.
   */
  replaceAll(schedules: ScheduleRecord[], items: Item[]): void {
    this.buckets.clear();
    const live = JSON.stringify(schedules.map((s) => s.id));
    this.db.prepare("DELETE FROM items WHERE pending = 0 AND (status <> 'cancelled' OR schedule_id NOT IN (SELECT value FROM json_each(?)))").run(live);
    this.db.prepare('DELETE FROM schedules WHERE pending = 0').run();
    const pendingItems = new Set(this.db.prepare<[], { id: string }>('SELECT id FROM items WHERE pending = 1').all().map((r) => r.id));
    const pendingSchedules = new Set(this.db.prepare<[], { id: string }>('SELECT id FROM schedules WHERE pending = 1').all().map((r) => r.id));
    for (const schedule of schedules) if (!pendingSchedules.has(schedule.id)) this.putSchedule(schedule);
    for (const item of items) if (!pendingItems.has(item.id)) this.putItem(item);
  }

  // ------------------------------------------------------------------ live events

  /**
   * Applies events in order with the cursor, in the caller's transaction; events at or below
   * the cursor were applied before (a replay after reconnect) and are skipped.
   */
  applyEvents(events: ServerEvent[], changes: ChangeSet = emptyChanges()): ChangeSet & { applied: ServerEvent[] } {
    let cursor = this.cursor;
    const applied: ServerEvent[] = [];
    for (const event of events) {
      if (event.seq <= cursor) continue;
      this.applyOne(event, changes);
      applied.push(event);
      cursor = event.seq;
    }
    this.setMeta('cursor', String(cursor));
    return { ...changes, applied };
  }

  private applyOne(event: ServerEvent, changes: ChangeSet): void {
    const data = event.data;
    if (event.schedule_id) changes.scheduleIds.add(event.schedule_id);
    switch (event.type) {
      case 'schedule.created':
      case 'schedule.updated': {
        const current = this.schedule(String(data.id));
        // A pending local edit stays visible until the outbox confirms it.
        if (!current || (current.pending ? current.record.version < Number(data.version) : current.record.version <= Number(data.version))) {
          this.putSchedule(data as unknown as ScheduleRecord);
        }
        // schedule.created carries the items it was created with.
        if (Array.isArray(data.items)) for (const item of data.items as Item[]) this.putIfNewer(item);
        this.scheduleMap = null;
        changes.items = true;
        changes.schedules = true;
        return;
      }
      case 'schedule.deleted': {
        this.putSchedule({ ...(data as unknown as ScheduleRecord), status: 'cancelled' });
        this.scheduleMap = null;
        changes.schedules = true;
        return;
      }
      case 'item.created':
      case 'item.rescheduled':
      case 'item.status_changed': {
        const { previous_scheduled_time: _p, previous_status: _s, changed: _c, optimization_id: _o, ...rest } = data as Record<string, unknown>;
        const item = rest as unknown as Item;
        this.putIfNewer(item);
        changes.items = true;
        changes.schedules = true;
        return;
      }
      case 'item.deleted':
        // Deleting an unpublished item is how the server cancels it.
        this.markItemCancelled(String(data.id), data as unknown as Item);
        changes.items = true;
        changes.schedules = true;
        return;
      default:
        return;
    }
  }

  /** Versions only grow: a replayed (older) event never rolls a newer row back. */
  putIfNewer(item: Item): void {
    const current = this.stmts.itemMeta.get(item.id);
    if (!current || current.version < item.version || (current.pending === 0 && current.version === item.version)) this.putItem(item, false, current?.time_ms ?? null);
  }

  // ------------------------------------------------------------------ TTL entries

  getEntry<T>(key: string): { value: T; fetchedAt: number; expiresAt: number } | null {
    return this.memo(`entry:${key}`, () => {
      const row = this.stmts.getEntry.get(key);
      return row ? { value: JSON.parse(row.json) as T, fetchedAt: row.fetched_at, expiresAt: row.expires_at } : null;
    });
  }

  setEntry(key: string, kind: keyof typeof TTL, value: unknown, nowMs: number): void {
    this.write(() => this.stmts.setEntry.run(key, kind, JSON.stringify(value), nowMs, nowMs + TTL[kind]));
  }

  /** Marks every entry of a kind stale (the next read answers it and refreshes behind). */
  expireEntries(kind: keyof typeof TTL, nowMs: number): void {
    this.db.prepare('UPDATE entries SET expires_at = ? WHERE kind = ? AND expires_at > ?').run(nowMs, kind, nowMs);
  }

  dropEntries(kind: keyof typeof TTL): void {
    this.write(() => this.stmts.dropEntriesOfKind.run(kind));
  }

  // ------------------------------------------------------------------ activity, notifications

  addActivity(entry: ActivityEntry): void {
    this.stmts.addActivity.run(entry.id, entry.at, JSON.stringify(entry));
  }

  activity(limit = 200): ActivityEntry[] {
    return this.stmts.listActivity.all(limit).map((r) => JSON.parse(r.json) as ActivityEntry);
  }

  /** Records a notification as shown; false when it was shown before (any earlier run). */
  claimNotification(id: string, nowMs: number): boolean {
    if (this.stmts.shown.get(id)) return false;
    try {
      this.write(() => this.stmts.markShown.run(id, nowMs));
    } catch (error) {
      if (!(error instanceof CacheError)) throw error;
      // Cannot persist: still show it once in this run.
    }
    return true;
  }

  // ------------------------------------------------------------------ retention

  /** Applies the retention policy (docs/cache.md); returns how many rows went. */
  prune(nowMs: number): number {
    return this.write(() => {
      let removed = 0;
      removed += this.db.prepare('DELETE FROM items WHERE time_ms < ? AND pending = 0').run(nowMs - RETENTION.itemAgeMs).changes;
      removed += this.db.prepare('DELETE FROM entries WHERE expires_at < ?').run(nowMs - RETENTION.entryGraceMs).changes;
      removed += this.db
        .prepare('DELETE FROM activity WHERE seq <= (SELECT seq FROM activity ORDER BY seq DESC LIMIT 1 OFFSET ?)')
        .run(RETENTION.activityRows).changes;
      removed += this.db.prepare('DELETE FROM shown_notifications WHERE shown_at < ?').run(nowMs - RETENTION.shownNotificationsAgeMs).changes;
      if (removed > 0) this.buckets.clear();
      return removed;
    });
  }
}
