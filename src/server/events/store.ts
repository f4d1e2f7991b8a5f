/** Reads of the per-account event log: heads, retained range, and pages for replay. */
import type { Kysely } from 'kysely';
import { EventTypeSchema, type ServerEvent } from '../../shared/api/events';
import type { Database, EventsTable } from '../storage/schema';

export async function headSeq(db: Kysely<Database>, accountId: string): Promise<number> {
  const row = await db.selectFrom('account_event_heads').select('head_seq').where('account_id', '=', accountId).executeTakeFirst();
  return row ? Number(row.head_seq) : 0;
}

/** The oldest seq still retained, or null when the account has no retained events. */
export async function oldestRetainedSeq(db: Kysely<Database>, accountId: string): Promise<number | null> {
  const row = await db
    .selectFrom('events')
    .select('seq')
    .where('account_id', '=', accountId)
    .orderBy('seq', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.seq) : null;
}

/** Events with afterSeq < seq ≤ uptoSeq (when given), oldest first, at most `limit`. */
export async function readEventsAfter(
  db: Kysely<Database>,
  accountId: string,
  afterSeq: number,
  limit: number,
  uptoSeq?: number,
): Promise<ServerEvent[]> {
  let query = db
    .selectFrom('events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(limit);
  if (uptoSeq !== undefined) query = query.where('seq', '<=', uptoSeq);
  const rows = await query.execute();
  return rows.map(rowToEvent);
}

export function rowToEvent(row: EventsTable): ServerEvent {
  const type = EventTypeSchema.safeParse(row.type);
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.data);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  } catch {
    // A row we cannot parse still keeps its place in the sequence; its data is dropped.
  }
  return {
    // Unknown types cannot be written through appendEvent; keep the seq gapless regardless.
    type: type.success ? type.data : 'schedule.updated',
    seq: Number(row.seq),
    schedule_id: row.schedule_id,
    occurred_at: row.occurred_at,
    data,
  };
}
