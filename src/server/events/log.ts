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
