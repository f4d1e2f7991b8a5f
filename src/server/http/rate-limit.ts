/**
 * Fixed-window rate limiting, in memory, per process: per account when the request carries a
 * valid credential, per client IP otherwise. A fixed window makes Retry-After exact: a client
 * that waits it lands in a fresh window with the whole quota, so it is never limited again.
 * (Several processes behind one database each keep their own counters; see docs/api.md.)
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitOptions } from './options';

interface Window {
  startMs: number;
  count: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweepMs = 0;

  constructor(private readonly options: RateLimitOptions) {}

  hit(key: string, nowMs: number): RateDecision {
    const { limit, windowMs } = this.options;
    this.sweep(nowMs);
    let window = this.windows.get(key);
    if (!window || nowMs >= window.startMs + windowMs) {
      window = { startMs: nowMs, count: 0 };
      this.windows.set(key, window);
    }
    const resetMs = window.startMs + windowMs;
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetMs };
    window.count += 1;
    return { allowed: true, limit, remaining: limit - window.count, resetMs };
  }

  /** Drops finished windows now and then so idle clients do not pile up. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < this.options.windowMs) return;
    this.lastSweepMs = nowMs;
    for (const [key, window] of this.windows) {
      if (nowMs >= window.startMs + this.options.windowMs) this.windows.delete(key);
    }
  }
}

/** Sets the X-RateLimit-* headers, and Retry-After when refused; returns whether to proceed. */
export function applyRateLimit(limiter: FixedWindowLimiter, request: FastifyRequest, reply: FastifyReply, nowMs: number): RateDecision {
  const key = request.principal ? `a:${request.principal.accountId}` : `ip:${request.ip}`;
  const decision = limiter.hit(key, nowMs);
  reply.header('X-RateLimit-Limit', String(decision.limit));
  reply.header('X-RateLimit-Remaining', String(decision.remaining));
  reply.header('X-RateLimit-Reset', String(Math.ceil(decision.resetMs / 1000)));
  if (!decision.allowed) {
    reply.header('Retry-After', String(Math.max(1, Math.ceil((decision.resetMs - nowMs) / 1000))));
  }
  return decision;
}
