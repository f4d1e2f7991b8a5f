/**
 * Calendar operations (schedules and items), shared by the HTTP routes and the batch endpoint.
 * Each validates with the shared contract, writes in one transaction that also appends the
 * events, and answers with the resource as the client will see it.
 */
import { sql, type Insertable } from 'kysely';
import type { ErrorDetail } from '../../../shared/api/common';
import {
  CreateScheduleSchema,
  ItemPatchSchema,
  LIMITS,
  NewItemSchema,
  SchedulePatchSchema,
  type Item,
  type NewItem,
  type Schedule,
} from '../../../shared/api/resources';
import { dstGapProblem, toInstant } from '../../../shared/time';
import type { ServerContext } from '../../context';
import { ApiError, parseOr400 } from '../../errors';
import {
  DEFAULT_PROCESSING_DEADLINE_MS,
  findItem,
  findSchedule,
  insertItems,
  itemCounts,
  itemJson,
  itemsOf,
  scheduleJson,
  tallyOf,
  touchSchedule,
  type Db,
  type ItemFields,
  type ScheduleRow,
} from '../../storage/calendar';
import { newId } from '../../storage/ids';
import type { ItemsTable } from '../../storage/schema';
import { isPlainObject, normalizeItemAliases, staleWrite, validationError, writeTransaction } from './common';

/**
 * Canonical wire form of an already validated instant: UTC, `Z`, milliseconds only when not zero.
 * Date parses RFC 3339 with an offset much faster than Temporal; Temporal is the fallback for
 * what Date does not read (it is also what validated the value).
 */
export function canonicalInstant(value: string): { iso: string; ms: number } {
  let ms = Date.parse(value);
  if (Number.isNaN(ms)) ms = toInstant(value).epochMilliseconds;
  return { iso: new Date(ms).toISOString().replace('.000Z', 'Z'), ms };
}

function gapDetails(items: Array<{ scheduled_time?: string | undefined }>, timezone: string, prefix: string): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  items.forEach((item, index) => {
    if (!item.scheduled_time) return;
    const problem = dstGapProblem(item.scheduled_time, timezone);
    if (problem) details.push({ path: `${prefix}[${index}].scheduled_time`, message: problem });
  });
  return details;
}

function throwDetails(details: ErrorDetail[]): void {
  const first = details[0];
  if (first) throw new ApiError('validation_failed', `${first.path}: ${first.message}`, details);
}

function itemRow(accountId: string, scheduleId: string, item: NewItem, nowIso: string, nowMs: number): Insertable<ItemsTable> & ItemFields {
  const when = canonicalInstant(item.scheduled_time);
  return {
    id: newId('itm', nowMs),
    account_id: accountId,
    schedule_id: scheduleId,
    content_id: item.content_id,
    platform: item.platform,
    channel: item.channel ?? item.platform,
    scheduled_time: when.iso,
    scheduled_at_ms: when.ms,
    status: 'scheduled',
    metadata: JSON.stringify(item.metadata ?? {}),
    callbacks: JSON.stringify(item.callbacks ?? {}),
    attempts: 0,
    published_at: null,
    failure_reason: null,
    version: 1,
    updated_at: nowIso,
    lease_owner: null,
    lease_expires_ms: null,
    next_attempt_ms: null,
    delivery_id: null,
  };
}

/** Whether reads that precede a write must lock their rows (PostgreSQL). */
export function rowLocks(ctx: ServerContext): boolean {
  return ctx.storage.dialect === 'postgres';
}

export function normalizeCreateBody(body: unknown): unknown {
  if (!isPlainObject(body) || !Array.isArray(body.items)) return body;
  return { ...body, items: body.items.map(normalizeItemAliases) };
}

export async function createSchedule(ctx: ServerContext, accountId: string, body: unknown): Promise<Schedule> {
  const input = parseOr400(CreateScheduleSchema, normalizeCreateBody(body));
  throwDetails(gapDetails(input.items, input.timezone, 'items'));
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso, nowMs) => {
    const id = newId('sch', nowMs);
    const row: ScheduleRow = {
      id,
      account_id: accountId,
      title: input.title,
      timezone: input.timezone,
      status: 'active',
      processing_deadline_ms: input.processing_deadline_ms ?? DEFAULT_PROCESSING_DEADLINE_MS,
      version: 1,
      created_at: nowIso,
      updated_at: nowIso,
    };
    await trx.insertInto('schedules').values(row).execute();
    const rows = input.items.map((item) => itemRow(accountId, id, item, nowIso, nowMs));
    await insertItems(trx, rows);
    // Same order a later read gives (by time, then id), without reading the rows back.
    rows.sort((a, b) => a.scheduled_at_ms - b.scheduled_at_ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const schedule: Schedule = { ...scheduleJson(row, tallyOf(rows)), items: rows.map(itemJson) };
    await emit({ type: 'schedule.created', schedule_id: id, data: schedule });
    return schedule;
  });
}

export async function requireSchedule(db: Db, accountId: string, id: string, lock = false): Promise<ScheduleRow> {
  const row = await findSchedule(db, accountId, id, lock);
  if (!row) throw ApiError.notFound(`schedule ${id}`);
  return row;
}

async function currentSchedule(db: Db, accountId: string, row: ScheduleRow): Promise<Schedule> {
  const counts = await itemCounts(db, accountId, [row.id]);
  return scheduleJson(row, counts.get(row.id));
}

export async function patchSchedule(
  ctx: ServerContext,
  accountId: string,
  id: string,
  body: unknown,
  ifMatch: number | null,
): Promise<Schedule> {
  const patch = parseOr400(SchedulePatchSchema, body === undefined ? {} : body);
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso) => {
    const row = await requireSchedule(trx, accountId, id, rowLocks(ctx));
    if (ifMatch !== null && Number(row.version) !== ifMatch) throw staleWrite(`schedule ${id}`, ifMatch, await currentSchedule(trx, accountId, row));
    const changes: Partial<ScheduleRow> = {};
    if (patch.title !== undefined && patch.title !== row.title) changes.title = patch.title;
    if (patch.timezone !== undefined && patch.timezone !== row.timezone) changes.timezone = patch.timezone;
    if (patch.processing_deadline_ms !== undefined && patch.processing_deadline_ms !== Number(row.processing_deadline_ms)) {
      changes.processing_deadline_ms = patch.processing_deadline_ms;
    }
    if (Object.keys(changes).length === 0) return currentSchedule(trx, accountId, row);
    const version = Number(row.version) + 1;
    const updated = await trx
      .updateTable('schedules')
      .set({ ...changes, version, updated_at: nowIso })
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('version', '=', Number(row.version))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      const now = await requireSchedule(trx, accountId, id);
      throw staleWrite(`schedule ${id}`, Number(row.version), await currentSchedule(trx, accountId, now));
    }
    const schedule = await currentSchedule(trx, accountId, { ...row, ...changes, version, updated_at: nowIso });
    await emit({ type: 'schedule.updated', schedule_id: id, data: schedule });
    return schedule;
  });
}

/** Cancels the schedule and every item that has not started publishing. */
export async function deleteSchedule(ctx: ServerContext, accountId: string, id: string, ifMatch: number | null): Promise<Schedule> {
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso) => {
    const row = await requireSchedule(trx, accountId, id, rowLocks(ctx));
    if (ifMatch !== null && Number(row.version) !== ifMatch) throw staleWrite(`schedule ${id}`, ifMatch, await currentSchedule(trx, accountId, row));
    if (row.status === 'cancelled') return currentSchedule(trx, accountId, row);
    const toCancel = (await itemsOf(trx, accountId, id)).filter((item) => item.status === 'scheduled');
    for (const item of toCancel) {
      const done = await trx
        .updateTable('items')
        .set({ status: 'cancelled', version: sql<number>`version + 1`, updated_at: nowIso })
        .where('id', '=', item.id)
        .where('account_id', '=', accountId)
        .where('status', '=', 'scheduled')
        .returningAll()
        .executeTakeFirst();
      // An item the dispatcher claimed meanwhile keeps publishing; only untouched ones are cancelled.
      if (!done) continue;
      const cancelled: Item = itemJson(done);
      await emit({ type: 'item.status_changed', schedule_id: id, data: { ...cancelled, previous_status: item.status } });
    }
    const version = Number(row.version) + 1;
    const cancelledNow = await trx
      .updateTable('schedules')
      .set({ status: 'cancelled', version, updated_at: nowIso })
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('version', '=', Number(row.version))
      .executeTakeFirst();
    if (Number(cancelledNow.numUpdatedRows) !== 1) {
      // Changed (or cancelled) by a concurrent request since we read it.
      const now = await requireSchedule(trx, accountId, id);
      if (now.status === 'cancelled' && ifMatch === null) return currentSchedule(trx, accountId, now);
      throw staleWrite(`schedule ${id}`, Number(row.version), await currentSchedule(trx, accountId, now));
    }
    const schedule = await currentSchedule(trx, accountId, { ...row, status: 'cancelled', version, updated_at: nowIso });
    await emit({ type: 'schedule.deleted', schedule_id: id, data: schedule });
    return schedule;
  });
}

/** Body of POST …/items: one item, an array of items, or {"items": [...]}. */
export function parseNewItems(body: unknown): { items: NewItem[]; single: boolean } {
  const single = isPlainObject(body) && !Array.isArray(body.items);
  const list: unknown = single ? [body] : isPlainObject(body) ? body.items : body;
  if (!Array.isArray(list)) throw validationError('(body)', 'expected an item, an array of items or {"items": [...]}');
  if (list.length === 0) throw validationError('items', 'at least one item is required');
  if (list.length > LIMITS.maxItemsPerRequest) throw validationError('items', `at most ${LIMITS.maxItemsPerRequest} items per request`);
  const items: NewItem[] = [];
  list.forEach((raw, index) => {
    items.push(parseOr400(NewItemSchema, normalizeItemAliases(raw), single ? '' : `items[${index}]`));
  });
  return { items, single };
}

export async function addItems(ctx: ServerContext, accountId: string, scheduleId: string, body: unknown): Promise<{ items: Item[]; single: boolean }> {
  const { items: input, single } = parseNewItems(body);
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso, nowMs) => {
    const schedule = await requireSchedule(trx, accountId, scheduleId, rowLocks(ctx));
    throwDetails(
      single
        ? gapDetails(input, schedule.timezone, 'items').map((d) => ({ ...d, path: 'scheduled_time' }))
        : gapDetails(input, schedule.timezone, 'items'),
    );
    if (schedule.status !== 'active') {
      throw new ApiError('conflict', `schedule ${scheduleId} is ${schedule.status}; items cannot be added`);
    }
    const count = (await itemCounts(trx, accountId, [scheduleId])).get(scheduleId)?.total ?? 0;
    if (count + input.length > LIMITS.maxItemsPerSchedule) {
      throw validationError('items', `a schedule holds at most ${LIMITS.maxItemsPerSchedule} items (it has ${count})`);
    }
    const rows = input.map((item) => itemRow(accountId, scheduleId, item, nowIso, nowMs));
    await insertItems(trx, rows);
    await touchSchedule(trx, accountId, scheduleId, nowIso);
    const created: Item[] = [];
    for (const row of rows) {
      const item = itemJson(row);
      created.push(item);
      await emit({ type: 'item.created', schedule_id: scheduleId, data: item });
    }
    return { items: created, single };
  });
}

export async function patchItem(
  ctx: ServerContext,
  accountId: string,
  scheduleId: string,
  itemId: string,
  body: unknown,
  ifMatch: number | null,
): Promise<Item> {
  const patch = parseOr400(ItemPatchSchema, normalizeItemAliases(body === undefined ? {} : body));
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso) => {
    const schedule = await requireSchedule(trx, accountId, scheduleId);
    const row = await findItem(trx, accountId, scheduleId, itemId, rowLocks(ctx));
    if (!row) throw ApiError.notFound(`item ${itemId}`);
    if (ifMatch !== null && Number(row.version) !== ifMatch) throw staleWrite(`item ${itemId}`, ifMatch, itemJson(row));
    if (patch.scheduled_time) {
      const problem = dstGapProblem(patch.scheduled_time, schedule.timezone);
      if (problem) throw validationError('scheduled_time', problem);
    }
    const changes: Partial<typeof row> = {};
    if (patch.scheduled_time !== undefined) {
      const when = canonicalInstant(patch.scheduled_time);
      if (when.ms !== Number(row.scheduled_at_ms)) {
        changes.scheduled_time = when.iso;
        changes.scheduled_at_ms = when.ms;
      }
    }
    if (patch.metadata !== undefined) changes.metadata = JSON.stringify(patch.metadata);
    if (patch.callbacks !== undefined) changes.callbacks = JSON.stringify(patch.callbacks);
    if (Object.keys(changes).length === 0) return itemJson(row);
    if (row.status !== 'scheduled') {
      throw new ApiError('conflict', `item ${itemId} is ${row.status}; only scheduled items can be changed`, undefined, 409, { current: itemJson(row) });
    }
    const version = Number(row.version) + 1;
    const updated = await trx
      .updateTable('items')
      .set({ ...changes, version, updated_at: nowIso })
      .where('id', '=', itemId)
      .where('account_id', '=', accountId)
      .where('version', '=', Number(row.version))
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      const now = await findItem(trx, accountId, scheduleId, itemId);
      if (!now) throw ApiError.notFound(`item ${itemId}`);
      throw staleWrite(`item ${itemId}`, Number(row.version), itemJson(now));
    }
    await touchSchedule(trx, accountId, scheduleId, nowIso);
    const item = itemJson({ ...row, ...changes, version, updated_at: nowIso });
    // The contract has no item.updated: every item PATCH is announced as item.rescheduled with
    // the item after the change (clients upsert it), and `changed` lists what moved.
    await emit({
      type: 'item.rescheduled',
      schedule_id: scheduleId,
      data: { ...item, previous_scheduled_time: row.scheduled_time, changed: Object.keys(changes).filter((k) => k !== 'scheduled_at_ms') },
    });
    return item;
  });
}

export async function deleteItem(ctx: ServerContext, accountId: string, scheduleId: string, itemId: string, ifMatch: number | null): Promise<Item> {
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso) => {
    await requireSchedule(trx, accountId, scheduleId);
    const row = await findItem(trx, accountId, scheduleId, itemId, rowLocks(ctx));
    if (!row) throw ApiError.notFound(`item ${itemId}`);
    if (ifMatch !== null && Number(row.version) !== ifMatch) throw staleWrite(`item ${itemId}`, ifMatch, itemJson(row));
    if (row.status === 'processing' || row.status === 'published') {
      throw new ApiError('conflict', `item ${itemId} is ${row.status} and cannot be deleted`, undefined, 409, { current: itemJson(row) });
    }
    const deleted = await trx
      .deleteFrom('items')
      .where('id', '=', itemId)
      .where('account_id', '=', accountId)
      .where('version', '=', Number(row.version))
      .where('status', 'not in', ['processing', 'published'])
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) {
      const now = await findItem(trx, accountId, scheduleId, itemId);
      if (!now) throw ApiError.notFound(`item ${itemId}`);
      throw staleWrite(`item ${itemId}`, Number(row.version), itemJson(now));
    }
    await touchSchedule(trx, accountId, scheduleId, nowIso);
    const item = itemJson(row);
    await emit({ type: 'item.deleted', schedule_id: scheduleId, data: item });
    return item;
  });
}
