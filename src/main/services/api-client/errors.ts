/**
 * The client's one error type: everything a caller (or the user) needs to decide what to do,
 * from the HTTP status and the server's error code down to the rate-limit budget.
 */
import type { ErrorDetail } from '../../../shared/api/common';

export interface RateLimitInfo {
  limit: number | null;
  remaining: number | null;
  /** Epoch ms when the window resets. */
  resetAtMs: number | null;
}

export type ClientErrorCode =
  | 'network' // no HTTP answer: refused, reset, DNS
  | 'timeout' // no answer within the timeout
  | 'circuit_open' // the breaker refused to send
  | 'invalid_response' // an answer that does not follow the contract
  | string; // the server's error code (unauthorized, conflict, validation_failed, …)

export class ApiClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly status: number | null,
    readonly extra: {
      details?: ErrorDetail[];
      requestId?: string | null;
      rateLimit?: RateLimitInfo | null;
      retryAfterMs?: number | null;
      /** The server's whole error object (e.g. a conflict's `current`). */
      body?: Record<string, unknown> | null;
      attempts?: number;
    } = {},
  ) {
    super(message);
    this.name = 'ApiClientError';
  }

  get details(): ErrorDetail[] {
    return this.extra.details ?? [];
  }

  /** True when the same request may succeed later (network, timeouts, 408, 429, 5xx, breaker). */
  get transient(): boolean {
    return isTransient(this.status, this.code);
  }
}

export function isTransient(status: number | null, code: string): boolean {
  if (status === null) return code === 'network' || code === 'timeout' || code === 'circuit_open';
  // The first request with this Idempotency-Key is still running (our earlier attempt timed
  // out on our side): asking again later gets its stored answer.
  if (status === 409 && code === 'idempotency_in_progress') return true;
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

export function parseRateLimit(headers: Headers): RateLimitInfo | null {
  const num = (name: string) => {
    const raw = headers.get(name);
    return raw !== null && /^\d+$/.test(raw.trim()) ? Number(raw) : null;
  };
  const limit = num('x-ratelimit-limit');
  const remaining = num('x-ratelimit-remaining');
  const reset = num('x-ratelimit-reset');
  if (limit === null && remaining === null && reset === null) return null;
  return { limit, remaining, resetAtMs: reset === null ? null : reset * 1000 };
}
