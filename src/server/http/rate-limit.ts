/**
 * Fixed-window rate limiting: per account when the request carries a valid credential, per client
 * IP otherwise. A fixed window makes Retry-After exact: a client that waits it lands in a fresh
 * window with the whole quota, so it is never limited again for the wait it was told.
 *
 * Two counters, one decision shape:
 *  - MemoryRateLimiter: in this process (SQLite, the embedded and default mode: one process);
 *  - SharedRateLimiter: one row per (bucket, window) in the database (PostgreSQL, where several
 *    server processes share one database), counted by an atomic upsert, so the limit holds exactly
 *    across processes. Its windows are aligned to the epoch so every process agrees on them.
 */
import type { FastifyReply } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema';
import type { RateLimitOptions } from './options';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
  /** X-RateLimit-Reset (epoch seconds, rounded up), computed once per window. */
  resetHeader: string;
}

/** What a window counts: an account (valid credential) or a client IP. */
export type RateSubject = 'account' | 'ip';

interface Window {
  startMs: number;
  count: number;
  resetMs: number;
  resetHeader: string;
}

function resetHeaderOf(resetMs: number): string {
  return String(Math.ceil(resetMs / 1000));
}

export class MemoryRateLimiter {
  // Accounts and IPs apart, keyed by the strings the request already holds: no key is built
  // (and hashed anew) per request.
  private readonly accounts = new Map<string, Window>();
  private readonly ips = new Map<string, Window>();
  private lastSweepMs = 0;

  constructor(readonly options: RateLimitOptions) {}

  hit(subject: RateSubject, key: string, nowMs: number): RateDecision {
    const { limit, windowMs } = this.options;
    if (nowMs - this.lastSweepMs >= windowMs) this.sweep(nowMs);
    const windows = subject === 'account' ? this.accounts : this.ips;
    let window = windows.get(key);
    if (!window || nowMs >= window.resetMs) {
      const resetMs = nowMs + windowMs;
      window = { startMs: nowMs, count: 0, resetMs, resetHeader: resetHeaderOf(resetMs) };
      windows.set(key, window);
    }
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetMs: window.resetMs, resetHeader: window.resetHeader };
    window.count += 1;
    return { allowed: true, limit, remaining: limit - window.count, resetMs: window.resetMs, resetHeader: window.resetHeader };
  }

  /** Drops finished windows now and then so idle clients do not pile up. */
  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const windows of [this.accounts, this.ips]) {
      for (const [key, window] of windows) if (nowMs >= window.resetMs) windows.delete(key);
    }
  }
}

export class SharedRateLimiter {
  private lastPurgeMs = 0;

  constructor(
    private readonly db: Kysely<Database>,
    readonly options: RateLimitOptions,
  ) {}

  async hit(subject: RateSubject, key: string, nowMs: number): Promise<RateDecision> {
    const { limit, windowMs } = this.options;
    const windowStartMs = nowMs - (nowMs % windowMs);
    const resetMs = windowStartMs + windowMs;
    const bucket = `${subject === 'account' ? 'a' : 'ip'}:${key}`;
    // One statement, atomic in both dialects: of any number of concurrent hits on one window,
    // each sees a distinct count, so exactly `limit` of them are allowed.
    const row = await this.db
      .insertInto('rate_limit_windows')
      .values({ bucket, window_start_ms: windowStartMs, count: 1, expires_at_ms: resetMs })
      .onConflict((oc) => oc.columns(['bucket', 'window_start_ms']).doUpdateSet({ count: sql<number>`rate_limit_windows.count + 1` }))
      .returning('count')
      .executeTakeFirstOrThrow();
    if (nowMs - this.lastPurgeMs >= windowMs) {
      this.lastPurgeMs = nowMs;
      void purgeExpiredRateLimitWindows(this.db, nowMs).catch(() => undefined);
    }
    const count = Number(row.count);
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetMs, resetHeader: resetHeaderOf(resetMs) };
  }
}

/** Windows that ended are of no use to any process. */
export async function purgeExpiredRateLimitWindows(db: Kysely<Database>, nowMs: number): Promise<number> {
  const result = await db.deleteFrom('rate_limit_windows').where('expires_at_ms', '<=', nowMs).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sets the X-RateLimit-* headers, and Retry-After when refused (lower-case names: no per-request lower-casing). */
export function setRateLimitHeaders(reply: FastifyReply, decision: RateDecision, limitHeader: string, nowMs: number): void {
  reply.header('x-ratelimit-limit', limitHeader);
  reply.header('x-ratelimit-remaining', String(decision.remaining));
  reply.header('x-ratelimit-reset', decision.resetHeader);
  if (!decision.allowed) reply.header('retry-after', String(Math.max(1, Math.ceil((decision.resetMs - nowMs) / 1000))));
}
