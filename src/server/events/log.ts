/**
 * Appends events to the per-account log inside the caller's transaction, so an event exists
 * exactly when the change it describes was committed. `seq` is gapless per account: the head
 * row is bumped with an upsert, which serializes concurrent writers of one account on both
 * SQLite (single writer) and PostgreSQL (row lock).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { EventType, ServerEvent } from '../../shared/api/events';
import type { Database } from '../storage/schema';

export interface NewEvent {
  type: EventType;
  schedule_id: string | null;
  data: Record<string, unknown>;
}

export async function appendEvent(
  trx: Transaction<Database> | Kysely<Database>,
  accountId: string,
  event: NewEvent,
  occurredAt: Date = new Date(),
): Promise<ServerEvent> {
  const head = await trx
    .insertInto('account_event_heads')
    .values({ account_id: accountId, head_seq: 1 })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ head_seq: sql`account_event_heads.head_seq + 1` }))
    .returning('head_seq')
    .executeTakeFirstOrThrow();
  const seq = Number(head.head_seq);
  const stored: ServerEvent = {
    type: event.type,
    seq,
    schedule_id: event.schedule_id,
    occurred_at: occurredAt.toISOString(),
    data: event.data,
  };
  await trx
    .insertInto('events')
    .values({
      account_id: accountId,
      seq,
      type: stored.type,
      schedule_id: stored.schedule_id,
      occurred_at: stored.occurred_at,
      data: JSON.stringify(stored.data),
    })
    .execute();
  return stored;
}

/** Delivers committed events to live subscribers. Call only after the transaction committed. */
export interface EventPublisher {
  publish(accountId: string, events: ServerEvent[]): void;
}

type Listener = (accountId: string, events: ServerEvent[]) => void;

/** In-process fan-out; the WebSocket routes subscribe here. */
export class LocalEventBus implements EventPublisher {
  private readonly listeners = new Set<Listener>();

  publish(accountId: string, events: ServerEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) listener(accountId, events);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Appends several events of one account with one head bump and one insert (the dispatcher's
 * batches); same guarantees as `appendEvent`, consecutive seqs in the given order.
 */
export async function appendEvents(
  trx: Transaction<Database> | Kysely<Database>,
  accountId: string,
  events: NewEvent[],
  occurredAt: Date = new Date(),
): Promise<ServerEvent[]> {
  if (events.length === 0) return [];
  const count = events.length;
  const head = await trx
    .insertInto('account_event_heads')
    .values({ account_id: accountId, head_seq: count })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ head_seq: sql`account_event_heads.head_seq + ${count}` }))
    .returning('head_seq')
    .executeTakeFirstOrThrow();
  const first = Number(head.head_seq) - count + 1;
  const at = occurredAt.toISOString();
  const stored: ServerEvent[] = events.map((event, i) => ({
    type: event.type,
    seq: first + i,
    schedule_id: event.schedule_id,
    occurred_at: at,
    data: event.data,
  }));
  // Chunks keep a statement well under SQLite's bound-parameter limit.
  for (let i = 0; i < stored.length; i += 500) {
    await trx
      .insertInto('events')
      .values(
        stored.slice(i, i + 500).map((e) => ({
          account_id: accountId,
          seq: e.seq,
          type: e.type,
          schedule_id: e.schedule_id,
          occurred_at: e.occurred_at,
          data: JSON.stringify(e.data),
        })),
      )
      .execute();
  }
  return stored;
}
