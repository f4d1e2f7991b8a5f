/**
 * The resilient transport under every API call (the SDK-quality version of the integration
 * guide's SchedulingClient): token exchange with single-flight refresh, retries of transient
 * failures with capped exponential backoff and jitter, Retry-After honoured for every caller,
 * one re-auth on 401, a circuit breaker, optional request signing, and contract parsing.
 */
import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import { ApiErrorBodySchema } from '../../../shared/api/common';
import { TokenResponseSchema } from '../../../shared/api/resources';
import type { Clock } from '../../ports';
import { CircuitBreaker, type BreakerState } from './circuit-breaker';
import { ApiClientError, isTransient, parseRateLimit, parseRetryAfter, type RateLimitInfo } from './errors';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out inside one call; the error goes up. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  signingSecret?: string | null;
  clock: Clock;
  retry?: Partial<RetryPolicy>;
  breaker?: { failureThreshold?: number; cooldownMs?: number };
  onBreakerChange?: (state: BreakerState) => void;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Refresh the access token this long before it expires. */
  refreshMarginMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | string[] | undefined>;
  body?: unknown;
  schema: S;
  /** Writes: the key created once with the write and reused on every retry. */
  idempotencyKey?: string;
  ifMatch?: number;
  /** false for a call that must not be retried (e.g. connection.test). */
  retry?: boolean;
  /** Per-attempt timeout for this call (long computations); defaults to the client's. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  replayed: boolean;
  rateLimit: RateLimitInfo | null;
}

interface Tokens {
  access: string;
  refresh: string;
  expiresAtMs: number;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Capped exponential backoff with "equal jitter": never 0, never above the cap. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function signRequest(secret: string, method: string, url: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}\n${url}\n${body}\n${timestamp}`).digest('hex');
}

export class HttpClient {
  readonly breaker: CircuitBreaker;
  private readonly retry: RetryPolicy;
  private tokens: Tokens | null = null;
  private refreshing: Promise<Tokens> | null = null;
  /** No request leaves before this (a 429's Retry-After applies to every caller). */
  private notBeforeMs = 0;
  /** Counts of what went on the wire, for status and tests. */
  readonly stats = { requests: 0, tokenGrants: 0, tokenRefreshes: 0 };
  lastRateLimit: RateLimitInfo | null = null;

  constructor(private readonly options: HttpClientOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.breaker = new CircuitBreaker({
      clock: options.clock,
      failureThreshold: options.breaker?.failureThreshold,
      cooldownMs: options.breaker?.cooldownMs,
      onChange: options.onBreakerChange,
    });
  }

  get baseUrl(): string {
    return this.options.baseUrl.replace(/\/+$/, '');
  }

  private now(): number {
    return this.options.clock.now();
  }

  private sleep(ms: number): Promise<void> {
    return (this.options.sleep ?? defaultSleep)(ms);
  }

  /** Forgets the access token (tests; a key change). */
  dropTokens(): void {
    this.tokens = null;
  }

  // ------------------------------------------------------------------ auth

  /** A valid access token, refreshed ahead of expiry; concurrent callers share one refresh. */
  async accessToken(): Promise<string> {
    const margin = this.options.refreshMarginMs ?? 30_000;
    if (this.tokens && this.tokens.expiresAtMs - margin > this.now()) return this.tokens.access;
    if (!this.refreshing) {
      const previous = this.tokens;
      this.refreshing = this.obtainTokens(previous).finally(() => {
        this.refreshing = null;
      });
    }
    return (await this.refreshing).access;
  }

  private async obtainTokens(previous: Tokens | null): Promise<Tokens> {
    if (previous) {
      try {
        this.stats.tokenRefreshes += 1;
        return await this.grant({ grant_type: 'refresh_token', refresh_token: previous.refresh });
      } catch (error) {
        // A rejected refresh token (expired, rotated elsewhere) falls back to the API key.
        if (!(error instanceof ApiClientError) || error.status !== 401) throw error;
      }
    }
    this.stats.tokenGrants += 1;
    return this.grant({ grant_type: 'api_key', api_key: this.options.apiKey });
  }

  private async grant(body: Record<string, string>): Promise<Tokens> {
    const started = this.now();
    const response = await this.execute({ method: 'POST', path: '/api/v1/auth/token', body, schema: TokenResponseSchema }, false);
    const tokens = {
      access: response.data.access_token,
      refresh: response.data.refresh_token,
      expiresAtMs: started + response.data.expires_in * 1000,
    };
    this.tokens = tokens;
    return tokens;
  }

  // ------------------------------------------------------------------ requests

  request<S extends z.ZodType>(options: RequestOptions<S>): Promise<ApiResponse<z.output<S>>> {
    return this.execute(options, true);
  }

  private async execute<S extends z.ZodType>(options: RequestOptions<S>, authenticated: boolean): Promise<ApiResponse<z.output<S>>> {
    const maxAttempts = options.retry === false ? 1 : this.retry.maxAttempts;
    let reauthed = false;
    let lastError: ApiClientError | null = null;
    for (let attempt = 0; attempt < maxAttempts + (reauthed ? 1 : 0); attempt++) {
      const wait = this.notBeforeMs - this.now();
      if (wait > 0) await this.sleep(wait);
      // The token exchange retries on its own; its failure is this call's failure.
      const token = authenticated ? await this.accessToken() : null;
      if (!this.breaker.tryAcquire()) {
        throw new ApiClientError('circuit_open', `the server is failing; not retrying for ${Math.ceil(this.breaker.retryInMs / 1000)} s`, null, {
          attempts: attempt,
          retryAfterMs: this.breaker.retryInMs,
          body: lastError ? { last_error: lastError.message } : null,
        });
      }
      let raw: RawResponse;
      try {
        raw = await this.send(options, token);
      } catch (error) {
        this.breaker.failure();
        lastError = error instanceof ApiClientError ? error : toNetworkError(error);
        if (attempt + 1 >= maxAttempts) break;
        await this.sleep(backoffDelay(attempt, this.retry, this.options.random ?? Math.random));
        continue;
      }
      const rateLimit = parseRateLimit(raw.headers);
      if (rateLimit) this.lastRateLimit = rateLimit;
      if (raw.status >= 500) this.breaker.failure();
      else this.breaker.success();

      if (raw.status < 400) {
        return { data: this.parse(options, raw), status: raw.status, replayed: raw.headers.get('idempotent-replayed') === 'true', rateLimit };
      }
      const error = this.toError(raw, rateLimit, attempt + 1);
      if (raw.status === 401 && authenticated && !reauthed) {
        // One re-auth: the token may have been revoked or expired early.
        reauthed = true;
        this.tokens = null;
        continue;
      }
      if (!isTransient(raw.status, error.code) || options.retry === false) throw error;
      lastError = error;
      const retryAfter = error.extra.retryAfterMs ?? null;
      if (retryAfter !== null) {
        this.notBeforeMs = Math.max(this.notBeforeMs, this.now() + retryAfter);
        if (retryAfter > this.retry.maxRetryAfterMs) throw error;
      }
      if (attempt + 1 >= maxAttempts) break;
      // Retry-After wins over the computed delay (waited at the top of the loop).
      if (retryAfter === null) await this.sleep(backoffDelay(attempt, this.retry, this.options.random ?? Math.random));
    }
    throw lastError ?? new ApiClientError('network', 'request failed', null);
  }

  private async send(options: RequestOptions<z.ZodType>, token: string | null): Promise<RawResponse> {
    const url = new URL(`${this.baseUrl}${options.path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) url.searchParams.set(key, value.join(','));
      else url.searchParams.set(key, String(value));
    }
    const body = options.body === undefined ? '' : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    if (this.options.signingSecret) {
      const timestamp = String(this.now());
      headers['x-timestamp'] = timestamp;
      headers['x-signature'] = signRequest(this.options.signingSecret, options.method, `${url.pathname}${url.search}`, body, timestamp);
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 10_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    this.stats.requests += 1;
    try {
      const response = await fetch(url, { method: options.method, headers, body: body || undefined, signal });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (timeout.aborted) throw new ApiClientError('timeout', `no answer from ${url.host} within ${timeoutMs} ms`, null);
      throw toNetworkError(error);
    }
  }

  private parse<S extends z.ZodType>(options: RequestOptions<S>, raw: RawResponse): z.output<S> {
    let json: unknown;
    try {
      json = raw.text ? JSON.parse(raw.text) : {};
    } catch {
      throw new ApiClientError('invalid_response', `${options.method} ${options.path}: the server answered with something that is not JSON`, raw.status);
    }
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiClientError(
        'invalid_response',
        `${options.method} ${options.path}: the answer does not follow the contract (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
        raw.status,
      );
    }
    return parsed.data;
  }

  private toError(raw: RawResponse, rateLimit: RateLimitInfo | null, attempts: number): ApiClientError {
    let body: unknown = null;
    try {
      body = JSON.parse(raw.text);
    } catch {
      // not JSON: keep the status only
    }
    const parsed = ApiErrorBodySchema.safeParse(body);
    const error = parsed.success ? parsed.data.error : null;
    const code = error?.code ?? (raw.status === 429 ? 'rate_limited' : raw.status >= 500 ? 'unavailable' : `http_${raw.status}`);
    return new ApiClientError(code, error?.message ?? `HTTP ${raw.status}`, raw.status, {
      details: error?.details,
      requestId: error?.request_id ?? raw.headers.get('x-request-id'),
      rateLimit,
      retryAfterMs: parseRetryAfter(raw.headers.get('retry-after'), this.now()),
      body: parsed.success ? (body as { error: Record<string, unknown> }).error : null,
      attempts,
    });
  }
}

function toNetworkError(error: unknown): ApiClientError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const what = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'connection reset' : (cause?.message ?? String(error));
  return new ApiClientError('network', `cannot reach the server: ${what}`, null);
}
