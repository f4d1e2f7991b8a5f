/** Knobs of the HTTP layer; defaults suit the embedded app, tests pass small limits. */
export interface RateLimitOptions {
  /** Requests allowed per window, per account (or per client IP when unauthenticated). */
  limit: number;
  windowMs: number;
}

export interface HttpOptions {
  /** false turns rate limiting off entirely (headers are then not sent). */
  rateLimit?: RateLimitOptions | false;
  /** Lifetime of access tokens from POST /auth/token (seconds). */
  accessTokenTtlSeconds?: number;
  /** Lifetime of refresh tokens (seconds). */
  refreshTokenTtlSeconds?: number;
  /** How long an Idempotency-Key is remembered (ms); the contract wants at least 24 h. */
  idempotencyTtlMs?: number;
  /** Optimizations over more items than this run in the background and answer 202. */
  optimizeAsyncThreshold?: number;
  /** Browser origins allowed to call the API ('*' for any); CORS is off when unset. */
  corsOrigins?: '*' | string[];
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 600, windowMs: 60_000 };

export interface ResolvedHttpOptions {
  rateLimit: RateLimitOptions | false;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  idempotencyTtlMs: number;
  optimizeAsyncThreshold: number;
  corsOrigins: '*' | string[] | undefined;
}

export function resolveHttpOptions(options: HttpOptions): ResolvedHttpOptions {
  return {
    rateLimit: options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 15 * 60,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
    idempotencyTtlMs: Math.max(options.idempotencyTtlMs ?? 24 * 3600_000, 0),
    optimizeAsyncThreshold: options.optimizeAsyncThreshold ?? 2000,
    corsOrigins: options.corsOrigins,
  };
}
