/**
 * Event retention: an account keeps its events for `maxAgeMs` (default 7 days) and at most its
 * last `maxPerAccount` (default 100,000), whichever is smaller. A client whose `since` falls
 * before the oldest retained event gets `resync_required`. Pruning deletes in small seq ranges
 * so it never holds the write lock for long (SQLite has one writer).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema';

export interface RetentionOptions {
  maxAgeMs?: number;
  maxPerAccount?: number;
  /** How often to prune; 0 disables the timer (prune still callable). */
  intervalMs?: number;
}

export const DEFAULT_RETENTION = { maxAgeMs: 7 * 24 * 3600_000, maxPerAccount: 100_000, intervalMs: 10 * 60_000 } as const;

const CHUNK = 5000;

/** Deletes what is out of retention; returns how many events were removed. */
export async function pruneEvents(db: Kysely<Database>, now: number, options: RetentionOptions = {}): Promise<number> {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_RETENTION.maxAgeMs;
  const maxPerAccount = options.maxPerAccount ?? DEFAULT_RETENTION.maxPerAccount;
  const cutoff = new Date(now - maxAgeMs).toISOString();
  let removed = 0;
  const heads = await db.selectFrom('account_event_heads').select(['account_id', 'head_seq']).execute();
  for (const { account_id: accountId, head_seq: head } of heads) {
    const byCount = Number(head) - maxPerAccount;
    const byAge = await db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('account_id', '=', accountId)
      .where('occurred_at', '<', cutoff)
      .executeTakeFirst();
    const upTo = Math.max(byCount, byAge?.seq == null ? 0 : Number(byAge.seq));
    if (upTo <= 0) continue;
    const oldest = await db
      .selectFrom('events')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    let from = oldest?.seq == null ? upTo + 1 : Number(oldest.seq);
    while (from <= upTo) {
      const to = Math.min(upTo, from + CHUNK - 1);
      const result = await db.deleteFrom('events').where('account_id', '=', accountId).where('seq', '<=', to).executeTakeFirst();
      removed += Number(result.numDeletedRows);
      from = to + 1;
    }
  }
  return removed;
}
