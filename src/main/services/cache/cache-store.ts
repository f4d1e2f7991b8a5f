/**
 * The cache's typed operations over the SQLite mirror: schedules, items, TTL entries
 * (recommendations, heatmaps, platforms), the event cursor, activity and shown notifications.
 * A memory L1 sits in front of the hot reads (calendar ranges, schedule list) and is dropped
 * whenever the mirror changes. Every write goes through `write`, which maps disk problems to
 * CacheError values.
 */
import type { ServerEvent } from '../../../shared/api/events';
import type { Item, Schedule } from '../../../shared/api/resources';
import type { ActivityEntry, CalendarItem } from '../../../shared/bridge';
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

interface ItemRowOut {
  json: string;
  pending: number;
}

/** The L1 keeps parsed items per UTC month; writes update the loaded months in place. */
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
  private readonly buckets = new Map<number, { items: CalendarItem[]; times: Float64Array }>();
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
        `INSERT INTO items(id, schedule_id, time_ms, status, version, pending, json) VALUES (@id, @schedule_id, @time_ms, @status, @version, @pending, @json)
         ON CONFLICT(id) DO UPDATE SET schedule_id = excluded.schedule_id, time_ms = excluded.time_ms, status = excluded.status,
           version = excluded.version, pending = excluded.pending, json = excluded.json`,
      ),
      getItem: db.prepare<[string], ItemRowOut>('SELECT json, pending FROM items WHERE id = ?'),
      itemMeta: db.prepare<[string], { time_ms: number; version: number; pending: number }>('SELECT time_ms, version, pending FROM items WHERE id = ?'),
      deleteItem: db.prepare('DELETE FROM items WHERE id = ?'),
      range: db.prepare<[number, number], ItemRowOut>('SELECT json, pending FROM items WHERE time_ms >= ? AND time_ms < ? ORDER BY time_ms, id'),
      itemsOf: db.prepare<[string], ItemRowOut>('SELECT json, pending FROM items WHERE schedule_id = ? ORDER BY time_ms, id'),
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
  private moveInL1(id: string, oldMs: number | undefined, item: CalendarItem | null, newMs: number): void {
    if (oldMs !== undefined) {
      const bucket = this.buckets.get(monthOf(oldMs));
      if (bucket) {
        const at = bucket.items.findIndex((i) => i.id === id);
        if (at >= 0) {
          bucket.items.splice(at, 1);
          bucket.times = Float64Array.from([...bucket.times.subarray(0, at), ...bucket.times.subarray(at + 1)]);
        }
      }
    }
    if (!item) return;
    const bucket = this.buckets.get(monthOf(newMs));
    if (!bucket) return;
    // Same order as SQL: by time, then id.
    let lo = 0;
    let hi = bucket.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = bucket.times[mid] as number;
      if (t < newMs || (t === newMs && (bucket.items[mid] as CalendarItem).id < id)) lo = mid + 1;
      else hi = mid;
    }
    bucket.items.splice(lo, 0, item);
    const times = new Float64Array(bucket.times.length + 1);
    times.set(bucket.times.subarray(0, lo), 0);
    times[lo] = newMs;
    times.set(bucket.times.subarray(lo), lo + 1);
    bucket.times = times;
  }

  putItem(item: Item, pending = false, previousTimeMs: number | null | undefined = undefined): void {
    const timeMs = Date.parse(item.scheduled_time);
    const oldMs = previousTimeMs === undefined ? this.stmts.itemMeta.get(item.id)?.time_ms : (previousTimeMs ?? undefined);
    this.moveInL1(item.id, oldMs, { ...item, schedule_title: '', schedule_timezone: 'UTC', pending }, timeMs);
    this.stmts.upsertItem.run({
      id: item.id,
      schedule_id: item.schedule_id,
      time_ms: timeMs,
      status: item.status,
      version: item.version,
      pending: pending ? 1 : 0,
      json: JSON.stringify(item),
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
    return row ? { item: JSON.parse(row.json) as Item, pending: row.pending === 1 } : null;
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

  /** Parses rows once; schedule fields are filled in at read time (titles may change). */
  private parseRows(rows: ItemRowOut[]): CalendarItem[] {
    const out: CalendarItem[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as ItemRowOut;
      const item = JSON.parse(row.json) as CalendarItem;
      item.pending = row.pending === 1;
      out[i] = item;
    }
    return out;
  }

  private withSchedules(items: CalendarItem[], only: Set<string> | null, from = -Infinity, to = Infinity, times?: Float64Array): CalendarItem[] {
    const schedules = this.schedules();
    const out: CalendarItem[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as CalendarItem;
      if (only && !only.has(item.schedule_id)) continue;
      if (from !== -Infinity || to !== Infinity) {
        const ms = times ? (times[i] as number) : Date.parse(item.scheduled_time);
        if (ms < from || ms >= to) continue;
      }
      const schedule = schedules.get(item.schedule_id);
      if (schedule?.deleted) continue;
      item.schedule_title = schedule?.record.title ?? '';
      item.schedule_timezone = schedule?.record.timezone ?? 'UTC';
      out.push(item);
    }
    return out;
  }

  private bucket(month: number): { items: CalendarItem[]; times: Float64Array } {
    let bucket = this.buckets.get(month);
    if (!bucket) {
      const items = this.parseRows(this.stmts.range.all(monthStart(month), monthStart(month + 1)));
      const times = new Float64Array(items.length);
      items.forEach((item, i) => (times[i] = Date.parse(item.scheduled_time)));
      bucket = { items, times };
      if (this.buckets.size >= MONTH_BUCKETS_KEPT) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      this.buckets.set(month, bucket);
    }
    return bucket;
  }

  range(fromMs: number, toMs: number, scheduleIds?: string[]): CalendarItem[] {
    const only = scheduleIds ? new Set(scheduleIds) : null;
    const first = monthOf(fromMs);
    const last = monthOf(Math.max(fromMs, toMs - 1));
    // Wide ranges (years) go straight to SQLite rather than filling the L1 with cold months.
    if (last - first > 3) return this.withSchedules(this.parseRows(this.stmts.range.all(fromMs, toMs)), only);
    const out: CalendarItem[] = [];
    for (let month = first; month <= last; month++) {
      const bucket = this.bucket(month);
      const whole = fromMs <= monthStart(month) && toMs >= monthStart(month + 1);
      for (const item of whole ? this.withSchedules(bucket.items, only) : this.withSchedules(bucket.items, only, fromMs, toMs, bucket.times)) out.push(item);
    }
    return out;
  }

  itemsOf(scheduleId: string): CalendarItem[] {
    return this.memo(`items:${scheduleId}`, () => this.withSchedules(this.parseRows(this.stmts.itemsOf.all(scheduleId)), null));
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
