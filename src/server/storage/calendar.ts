/**
 * Schedules and items: queries (always scoped by account) and the row ↔ wire mapping.
 * Instants are stored twice: `scheduled_time` (RFC 3339, UTC) for clients and `scheduled_at_ms`
 * for comparisons and the dispatcher.
 */
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Item, Schedule } from '../../shared/api/resources';
import type { Database, ItemsTable, SchedulesTable } from './schema';

export type Db = Kysely<Database> | Transaction<Database>;
export type ScheduleRow = Selectable<SchedulesTable>;
export type ItemRow = Selectable<ItemsTable>;

export const DEFAULT_PROCESSING_DEADLINE_MS = 3 * 3600_000;

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The columns an item's wire form is made of (an inserted row has them too). */
export type ItemFields = Pick<
  ItemRow,
  'id' | 'schedule_id' | 'content_id' | 'platform' | 'channel' | 'scheduled_time' | 'status' | 'metadata' | 'callbacks' | 'attempts' | 'published_at' | 'failure_reason' | 'version' | 'updated_at'
>;

export function itemJson(row: ItemFields): Item {
  return {
    id: row.id,
    schedule_id: row.schedule_id,
    content_id: row.content_id,
    platform: row.platform as Item['platform'],
    channel: row.channel,
    scheduled_time: row.scheduled_time,
    status: row.status,
    metadata: parseJsonObject(row.metadata),
    callbacks: parseJsonObject(row.callbacks) as Item['callbacks'],
    attempts: Number(row.attempts),
    published_at: row.published_at,
    failure_reason: row.failure_reason,
    version: Number(row.version),
    updated_at: row.updated_at,
  };
}

export interface ItemTally {
  total: number;
  /** Items still to be published (scheduled or processing). */
  open: number;
}

const EMPTY_TALLY: ItemTally = { total: 0, open: 0 };

export function tallyOf(items: ReadonlyArray<{ status: string }>): ItemTally {
  return { total: items.length, open: items.filter((i) => i.status === 'scheduled' || i.status === 'processing').length };
}

/**
 * An active schedule whose every item has reached an end state (published, failed, cancelled)
 * reads as `completed`; the status is derived, so it is right whoever moved the items.
 */
export function scheduleJson(row: ScheduleRow, tally: ItemTally = EMPTY_TALLY): Schedule {
  const status = row.status === 'active' && tally.total > 0 && tally.open === 0 ? 'completed' : row.status;
  return {
    id: row.id,
    title: row.title,
    timezone: row.timezone,
    status,
    processing_deadline_ms: Number(row.processing_deadline_ms),
    version: Number(row.version),
    item_count: tally.total,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * `lock` takes the row lock (`for update`, PostgreSQL) so a read-check-write in one transaction
 * is not interleaved with another writer's; SQLite runs one transaction at a time and needs none.
 */
export async function findSchedule(db: Db, accountId: string, id: string, lock = false): Promise<ScheduleRow | undefined> {
  return db
    .selectFrom('schedules')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
}

export async function findItem(db: Db, accountId: string, scheduleId: string, itemId: string, lock = false): Promise<ItemRow | undefined> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('id', '=', itemId)
    .where('schedule_id', '=', scheduleId)
    .where('account_id', '=', accountId)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
}

/** A schedule's items in time order (then id). */
export async function itemsOf(db: Db, accountId: string, scheduleId: string): Promise<ItemRow[]> {
  return (await itemsOfSchedules(db, accountId, [scheduleId])).get(scheduleId) ?? [];
}

/** The items of several schedules in one query, grouped by schedule, each in time order (then id). */
export async function itemsOfSchedules(db: Db, accountId: string, scheduleIds: string[]): Promise<Map<string, ItemRow[]>> {
  const bySchedule = new Map<string, ItemRow[]>(scheduleIds.map((id) => [id, []]));
  if (scheduleIds.length === 0) return bySchedule;
  const rows = await db
    .selectFrom('items')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('schedule_id', 'in', scheduleIds)
    .orderBy('schedule_id')
    .orderBy('scheduled_at_ms')
    .orderBy('id')
    .execute();
  for (const row of rows) bySchedule.get(row.schedule_id)?.push(row);
  return bySchedule;
}

export async function itemCounts(db: Db, accountId: string, scheduleIds: string[]): Promise<Map<string, ItemTally>> {
  const counts = new Map<string, ItemTally>();
  if (scheduleIds.length === 0) return counts;
  const rows = await db
    .selectFrom('items')
    .select([
      'schedule_id',
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`sum(case when status in ('scheduled', 'processing') then 1 else 0 end)`.as('open'),
    ])
    .where('account_id', '=', accountId)
    .where('schedule_id', 'in', scheduleIds)
    .groupBy('schedule_id')
    .execute();
  for (const row of rows) counts.set(row.schedule_id, { total: Number(row.n), open: Number(row.open) });
  return counts;
}

export interface ListFilter {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  /** ISO string compared with updated_at (same format, so text order is time order). */
  updatedSince?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Schedules in id (= creation) order; from/to keep those with an item in [from, to). */
export async function listSchedules(db: Db, accountId: string, filter: ListFilter): Promise<ScheduleRow[]> {
  let query = db.selectFrom('schedules').selectAll().where('account_id', '=', accountId);
  if (filter.afterId) query = query.where('id', '>', filter.afterId);
  if (filter.updatedSince) query = query.where('updated_at', '>=', filter.updatedSince);
  if (filter.fromMs !== undefined || filter.toMs !== undefined) {
    const { fromMs, toMs } = filter;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('items')
          .select(sql<number>`1`.as('one'))
          .whereRef('items.schedule_id', '=', 'schedules.id')
          .where('items.account_id', '=', accountId)
          .$if(fromMs !== undefined, (q) => q.where('items.scheduled_at_ms', '>=', fromMs as number))
          .$if(toMs !== undefined, (q) => q.where('items.scheduled_at_ms', '<', toMs as number)),
      ),
    );
  }
  return query.orderBy('id').limit(filter.limit).execute();
}

export async function scheduleMetrics(db: Db, accountId: string, scheduleId: string, items: ItemRow[]): Promise<NonNullable<Schedule['metrics']>> {
  const byStatus: Record<string, number> = {};
  for (const item of items) byStatus[item.status] = (byStatus[item.status] ?? 0) + 1;
  const totals = await db
    .selectFrom('metric_observations as m')
    .select([
      (eb) => eb.fn.sum<number | string | null>('m.impressions').as('impressions'),
      (eb) => eb.fn.sum<number | string | null>('m.engagements').as('engagements'),
    ])
    .where('m.account_id', '=', accountId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('items as i')
          .select(sql<number>`1`.as('one'))
          .where('i.schedule_id', '=', scheduleId)
          .where('i.account_id', '=', accountId)
          .whereRef('i.content_id', '=', 'm.content_id')
          .whereRef('i.platform', '=', 'm.platform'),
      ),
    )
    .executeTakeFirst();
  return {
    total_items: items.length,
    by_status: byStatus,
    impressions: Number(totals?.impressions ?? 0),
    engagements: Number(totals?.engagements ?? 0),
  };
}

/** Inserts rows in chunks that stay under SQLite's bound-parameter limit. */
export async function insertItems(db: Db, rows: Insertable<ItemsTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db.insertInto('items').values(rows.slice(i, i + 200)).execute();
  }
}

/** Marks the schedule as changed (its items changed) without bumping its own version. */
export async function touchSchedule(db: Db, accountId: string, scheduleId: string, updatedAt: string): Promise<void> {
  await db.updateTable('schedules').set({ updated_at: updatedAt }).where('id', '=', scheduleId).where('account_id', '=', accountId).execute();
}
