/**
 * The durable outbox: every write the user makes is first a row here, committed in the same
 * transaction as its optimistic change to the cache, with an Idempotency-Key created once.
 * Entries are sent strictly in order, each with its stored key (so a retry after a crash is
 * the same request to the server); a permanently rejected entry is parked with the server's
 * reason and the others go on (docs/cache.md, "Outbox").
 */
import { randomUUID } from 'node:crypto';
import type { CreateSchedule, Item, ItemPatch, NewItem, Schedule, SchedulePatch } from '../../../shared/api/resources';
import type { OutboxEntry } from '../../../shared/bridge';
import { ApiClientError } from '../api-client/errors';
import type { SchedulingApi } from '../api-client/scheduling-api';
import type { CacheStore, ScheduleRecord } from '../cache/cache-store';

export type OutboxKind = OutboxEntry['kind'];

export type OutboxPayload =
  | { kind: 'create_schedule'; localId: string; body: CreateSchedule; localItemIds: string[] }
  | { kind: 'update_schedule'; scheduleId: string; patch: SchedulePatch; ifMatch?: number; before?: ScheduleRecord }
  | { kind: 'delete_schedule'; scheduleId: string; ifMatch?: number; before?: ScheduleRecord }
  | { kind: 'add_item'; scheduleId: string; localId: string; item: NewItem }
  | { kind: 'reschedule_item' | 'update_item'; scheduleId: string; itemId: string; patch: ItemPatch; ifMatch?: number; before?: Item }
  | { kind: 'cancel_item'; scheduleId: string; itemId: string; ifMatch?: number; before?: Item }
  | { kind: 'apply_optimization'; scheduleId: string; optimizationId: string; itemIds: string[] };

interface OutboxRow {
  seq: number;
  id: string;
  kind: OutboxKind;
  summary: string;
  payload: string;
  idempotency_key: string;
  status: 'pending' | 'parked';
  attempts: number;
  last_error: string | null;
  created_at: string;
}

export interface StoredEntry extends OutboxEntry {
  seq: number;
  payload: OutboxPayload;
}

/** What sending one entry came to. */
export type SendOutcome =
  | { kind: 'sent'; result: unknown }
  | { kind: 'transient'; error: ApiClientError }
  | { kind: 'rejected'; error: ApiClientError };

/**
 * Parked (never retried by itself): a 4xx that the same request will get again — validation,
 * not found, a version conflict, payload too large, a reused key. Not parked: 401 (fix the
 * credentials, then everything goes), 408, 429, 409 idempotency_in_progress, 5xx, network.
 */
export function isPermanentRejection(error: ApiClientError): boolean {
  if (error.status === null) return false;
  if (error.status === 401 || error.status === 408 || error.status === 429 || error.status >= 500) return false;
  if (error.status === 409 && error.code === 'idempotency_in_progress') return false;
  return error.status >= 400;
}

export function newLocalId(prefix: 'sch' | 'itm'): string {
  return `local_${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

function toEntry(row: OutboxRow): StoredEntry {
  return {
    seq: row.seq,
    id: row.id,
    kind: row.kind,
    summary: row.summary,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    idempotencyKey: row.idempotency_key,
    payload: JSON.parse(row.payload) as OutboxPayload,
  };
}

export class OutboxStore {
  constructor(private readonly cache: CacheStore) {}

  /** Commits the entry and its optimistic change together; returns the stored entry. */
  enqueue(payload: OutboxPayload, summary: string, nowIso: string, optimistic: () => void): StoredEntry {
    const id = `ob_${randomUUID()}`;
    const key = `cadence-${randomUUID()}`;
    this.cache.write(() => {
      this.cache.db
        .prepare('INSERT INTO outbox(id, kind, summary, payload, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, payload.kind, summary, JSON.stringify(payload), key, nowIso);
      optimistic();
    });
    return this.get(id) as StoredEntry;
  }

  get(id: string): StoredEntry | null {
    const row = this.cache.db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE id = ?').get(id);
    return row ? toEntry(row) : null;
  }

  list(): StoredEntry[] {
    return this.cache.db.prepare<[], OutboxRow>('SELECT * FROM outbox ORDER BY seq').all().map(toEntry);
  }

  pending(): StoredEntry[] {
    return this.cache.db.prepare<[], OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' ORDER BY seq").all().map(toEntry);
  }

  counts(): { pending: number; parked: number } {
    const rows = this.cache.db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all();
    return { pending: rows.find((r) => r.status === 'pending')?.n ?? 0, parked: rows.find((r) => r.status === 'parked')?.n ?? 0 };
  }

  /** Resolves an id that may still be local (created offline) to the server's id. */
  resolve(id: string): string {
    if (!id.startsWith('local_')) return id;
    return this.cache.db.prepare<[string], { server_id: string }>('SELECT server_id FROM id_map WHERE local_id = ?').get(id)?.server_id ?? id;
  }

  noteAttempt(id: string, error: string | null): void {
    this.cache.write(() => this.cache.db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?').run(error, id));
  }

  park(id: string, reason: string): void {
    this.cache.write(() => this.cache.db.prepare("UPDATE outbox SET status = 'parked', attempts = attempts + 1, last_error = ? WHERE id = ?").run(reason, id));
  }

  unpark(id: string): boolean {
    let changed = 0;
    this.cache.write(() => {
      changed = this.cache.db.prepare("UPDATE outbox SET status = 'pending', last_error = NULL WHERE id = ? AND status = 'parked'").run(id).changes;
    });
    return changed > 0;
  }

  /** Removes an entry; `apply` writes the server's answer (or reverts) in the same transaction. */
  complete(id: string, apply: () => void): void {
    this.cache.write(() => {
      this.cache.db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
      apply();
    });
  }

  mapId(localId: string, serverId: string): void {
    this.cache.db.prepare('INSERT OR REPLACE INTO id_map(local_id, server_id) VALUES (?, ?)').run(localId, serverId);
  }

  /** Ids (schedules and items) that a still-queued entry touches. */
  touched(): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.list()) {
      const p = entry.payload;
      if ('scheduleId' in p) ids.add(p.scheduleId);
      if ('itemId' in p) ids.add(p.itemId);
      if ('localId' in p) ids.add(p.localId);
    }
    return ids;
  }
}

// ---------------------------------------------------------------- optimistic changes

export function optimisticSchedule(localId: string, body: CreateSchedule, localItemIds: string[], nowIso: string): { schedule: ScheduleRecord; items: Item[] } {
  const schedule: ScheduleRecord = {
    id: localId,
    title: body.title,
    timezone: body.timezone ?? 'UTC',
    status: 'active',
    processing_deadline_ms: body.processing_deadline_ms ?? 3 * 3600_000,
    version: 1,
    item_count: body.items.length,
    created_at: nowIso,
    updated_at: nowIso,
  };
  const items = body.items.map((item, index) => optimisticItem(localItemIds[index] as string, localId, item, nowIso));
  return { schedule, items };
}

export function optimisticItem(localId: string, scheduleId: string, item: NewItem, nowIso: string): Item {
  return {
    id: localId,
    schedule_id: scheduleId,
    content_id: item.content_id,
    platform: item.platform,
    channel: item.channel ?? item.platform,
    scheduled_time: new Date(Date.parse(item.scheduled_time)).toISOString().replace('.000Z', 'Z'),
    status: 'scheduled',
    metadata: item.metadata ?? {},
    callbacks: item.callbacks ?? {},
    attempts: 0,
    published_at: null,
    failure_reason: null,
    version: 1,
    updated_at: nowIso,
  };
}

export function patchedItem(item: Item, patch: ItemPatch): Item {
  return {
    ...item,
    ...(patch.scheduled_time ? { scheduled_time: new Date(Date.parse(patch.scheduled_time)).toISOString().replace('.000Z', 'Z') } : {}),
    ...(patch.metadata ? { metadata: patch.metadata } : {}),
    ...(patch.callbacks ? { callbacks: patch.callbacks } : {}),
  };
}

// ---------------------------------------------------------------- sending

/** Sends one entry with its stored key; maps local ids to the server's first. */
export async function sendEntry(api: SchedulingApi, outbox: OutboxStore, entry: StoredEntry): Promise<SendOutcome> {
  const p = entry.payload;
  const write = (ifMatch?: number) => ({ idempotencyKey: entry.idempotencyKey, ...(ifMatch !== undefined ? { ifMatch } : {}) });
  try {
    switch (p.kind) {
      case 'create_schedule':
        return { kind: 'sent', result: await api.createSchedule(p.body, write()) };
      case 'update_schedule':
        return { kind: 'sent', result: await api.patchSchedule(outbox.resolve(p.scheduleId), p.patch, write(p.ifMatch)) };
      case 'delete_schedule':
        return { kind: 'sent', result: await api.deleteSchedule(outbox.resolve(p.scheduleId), write(p.ifMatch)) };
      case 'add_item':
        return { kind: 'sent', result: await api.addItem(outbox.resolve(p.scheduleId), p.item, write()) };
      case 'reschedule_item':
      case 'update_item':
        return { kind: 'sent', result: await api.patchItem(outbox.resolve(p.scheduleId), outbox.resolve(p.itemId), p.patch, write(p.ifMatch)) };
      case 'cancel_item':
        return { kind: 'sent', result: await api.deleteItem(outbox.resolve(p.scheduleId), outbox.resolve(p.itemId), write(p.ifMatch)) };
      case 'apply_optimization':
        return { kind: 'sent', result: await api.applyOptimization(p.optimizationId, p.itemIds.map((i) => outbox.resolve(i)), write()) };
    }
  } catch (error) {
    if (!(error instanceof ApiClientError)) throw error;
    if (alreadyApplied(entry, error)) return { kind: 'sent', result: (error.extra.body?.current as unknown) ?? null };
    return isPermanentRejection(error) ? { kind: 'rejected', error } : { kind: 'transient', error };
  }
}

/**
 * PATCH and DELETE carry no server-side idempotency, so a retry of a write that landed before
 * a crash meets its own effect: a 409 whose current state is what we asked for, or a 404/409
 * on a cancel of an item that is already cancelled. That is success, not a conflict.
 */
function alreadyApplied(entry: StoredEntry, error: ApiClientError): boolean {
  const p = entry.payload;
  const current = error.extra.body?.current as Partial<Item & Schedule> | undefined;
  if (p.kind === 'cancel_item') return error.status === 404 || (error.status === 409 && current?.status === 'cancelled');
  if (entry.attempts === 0 || error.status !== 409 || !current) return false;
  if (p.kind === 'reschedule_item' || p.kind === 'update_item') {
    if (p.patch.scheduled_time && (!current.scheduled_time || Date.parse(current.scheduled_time) !== Date.parse(p.patch.scheduled_time))) return false;
    if (p.patch.metadata && JSON.stringify(current.metadata) !== JSON.stringify(p.patch.metadata)) return false;
    return current.version === (p.ifMatch ?? 0) + 1;
  }
  if (p.kind === 'update_schedule') {
    return Object.entries(p.patch).every(([k, v]) => (current as Record<string, unknown>)[k] === v) && current.version === (p.ifMatch ?? 0) + 1;
  }
  return false;
}

/** Writes the server's answer for a sent entry into the cache (inside `complete`). */
export function applySent(cache: CacheStore, outbox: OutboxStore, entry: StoredEntry, result: unknown): void {
  const p = entry.payload;
  // A 404 on a cancel counts as sent with no answer: the item is gone, so it is cancelled.
  if (p.kind === 'cancel_item') {
    cache.markItemCancelled(outbox.resolve(p.itemId), (result as Item | null | undefined) ?? null);
    return;
  }
  if (result === null || result === undefined) return;
  switch (p.kind) {
    case 'create_schedule': {
      const schedule = result as Schedule;
      cache.removeSchedule(p.localId);
      cache.putSchedule(schedule);
      outbox.mapId(p.localId, schedule.id);
      const unused = [...(schedule.items ?? [])];
      p.body.items.forEach((item, index) => {
        const at = unused.findIndex((s) => s.content_id === item.content_id && s.platform === item.platform && Date.parse(s.scheduled_time) === Date.parse(item.scheduled_time));
        const match = at >= 0 ? unused.splice(at, 1)[0] : undefined;
        if (match) outbox.mapId(p.localItemIds[index] as string, match.id);
      });
      for (const item of schedule.items ?? []) cache.putIfNewer(item);
      return;
    }
    case 'update_schedule':
    case 'delete_schedule':
      cache.putSchedule(result as Schedule);
      return;
    case 'add_item': {
      const item = result as Item;
      cache.removeItem(p.localId);
      outbox.mapId(p.localId, item.id);
      cache.putIfNewer(item);
      return;
    }
    case 'reschedule_item':
    case 'update_item':
      cache.putItem(result as Item);
      return;
    case 'apply_optimization':
      for (const item of (result as { items?: Item[] }).items ?? []) cache.putIfNewer(item);
      return;
  }
}
