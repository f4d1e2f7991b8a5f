// The API client against the real server on loopback (and the fault proxy for broken networks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformListSchema, ScheduleListSchema, ScheduleSchema } from '../../../shared/api/resources';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { startFaultProxy, type FaultProxy } from '../../testing/fault-proxy';
import { ApiClientError } from './errors';
import { backoffDelay, HttpClient } from './http-client';

const list = { method: 'GET' as const, path: '/api/v1/scheduling/calendar', schema: ScheduleListSchema };

describe('http client: auth', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer();
  });
  afterAll(() => api.close());

  it('20 concurrent calls with an expired token make exactly one refresh', async () => {
    let now = Date.now();
    const http = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => now } });
    await http.request(list);
    expect(http.stats.tokenGrants).toBe(1);
    const before = api.requests.length;
    now += 3600_000; // the access token (15 min) has expired as far as the client knows
    const results = await Promise.all(Array.from({ length: 20 }, () => http.request(list)));
    expect(results).toHaveLength(20);
    const tokenCalls = api.requests.slice(before).filter((r) => r.url === '/api/v1/auth/token');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.grant).toBe('refresh_token');
    expect(http.stats.tokenRefreshes).toBe(1);
    expect(api.requests.slice(before).filter((r) => r.url.startsWith('/api/v1/scheduling/calendar'))).toHaveLength(20);
  });

  it('a 401 on a revoked access token re-authenticates once and succeeds', async () => {
    const http = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => Date.now() } });
    await http.request(list);
    // The server forgets every access token (a restore from backup, then a restart): ours is refused.
    await api.server!.context.storage.db.deleteFrom('access_tokens').execute();
    await api.restart();
    const before = api.requests.length;
    await expect(http.request(list)).resolves.toMatchObject({ status: 200 });
    const seen = api.requests.slice(before);
    expect(seen.map((r) => [r.url.split('?')[0], r.status])).toEqual([
      ['/api/v1/scheduling/calendar', 401],
      ['/api/v1/auth/token', 200],
      ['/api/v1/scheduling/calendar', 200],
    ]);
  });

  it('a refused API key is an unauthorized error, not retried', async () => {
    const http = new HttpClient({ baseUrl: api.url, apiKey: 'cad_not-a-real-key-000000', clock: { now: () => Date.now() } });
    const before = api.requests.length;
    const error = await http.request(list).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiClientError);
    expect((error as ApiClientError).status).toBe(401);
    expect((error as ApiClientError).code).toBe('unauthorized');
    expect(api.requests.slice(before).filter((r) => r.url === '/api/v1/auth/token')).toHaveLength(1);
  });

  it('a 404 is not retried and carries the server code and request id', async () => {
    const http = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => Date.now() } });
    await http.request(list);
    const before = api.requests.length;
    const error = (await http.request({ ...list, path: '/api/v1/scheduling/calendar/sch_missing' }).catch((e: unknown) => e)) as ApiClientError;
    expect(error.status).toBe(404);
    expect(error.code).toBe('not_found');
    expect(error.extra.requestId).toMatch(/^req_/);
    expect(api.requests.length - before).toBe(1);
  });

  it('validation errors carry the field details', async () => {
    const http = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => Date.now() } });
    const error = (await http
      .request({ method: 'POST', path: '/api/v1/scheduling/calendar', body: { title: 'x', items: [{ content_id: 'a', platform: 'myspace', scheduled_time: '2030-01-01T10:00:00Z' }] }, schema: ScheduleListSchema, idempotencyKey: 'k-validation-1' })
      .catch((e: unknown) => e)) as ApiClientError;
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.details[0]?.path).toBe('items[0].platform');
  });
});

describe('http client: signing', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({ signingSecret: true });
  });
  afterAll(() => api.close());

  it('signs every request when the key has a secret, and is refused without', async () => {
    const signed = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, signingSecret: api.signingSecret, clock: { now: () => Date.now() } });
    await expect(signed.request({ method: 'GET', path: '/api/v1/scheduling/platforms', schema: PlatformListSchema })).resolves.toMatchObject({ status: 200 });
    const unsigned = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => Date.now() } });
    const error = (await unsigned.request({ method: 'GET', path: '/api/v1/scheduling/platforms', schema: PlatformListSchema }).catch((e: unknown) => e)) as ApiClientError;
    expect(error.status).toBe(401);
  });
});

describe('http client: rate limits', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({ rateLimit: { limit: 2, windowMs: 2000 } });
  });
  afterAll(() => api.close());

  it('a 429 with Retry-After: 2 holds every request for 2 s, then succeeds', async () => {
    const http = new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => Date.now() } });
    const calls = [http.request(list), http.request(list), http.request(list)];
    // Another caller while the client waits must be held back too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    calls.push(http.request(list));
    await Promise.all(calls);
    const refusedAt = api.requests.findIndex((r) => r.status === 429);
    expect(refusedAt).toBeGreaterThanOrEqual(0);
    const refused = api.requests[refusedAt] as { at: number };
    const after = api.requests.slice(refusedAt + 1).filter((r) => r.url.startsWith('/api/v1/scheduling'));
    expect(after.length).toBeGreaterThanOrEqual(2);
    // Nothing reached the server until Retry-After (2 s) had passed.
    for (const request of after) expect(request.at - refused.at).toBeGreaterThanOrEqual(1950);
    expect(after.every((r) => r.status === 200)).toBe(true);
    expect(http.lastRateLimit?.limit).toBe(2);
  });
});

describe('http client: circuit breaker and broken networks', () => {
  let api: ApiServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    api = await startApiServer();
    proxy = await startFaultProxy(api.port);
  });
  afterAll(async () => {
    await proxy.close();
    await api.close();
  });

  it('opens after the threshold, refuses without sending, half-opens after the cooldown and closes on success', async () => {
    let now = Date.now();
    const states: string[] = [];
    const http = new HttpClient({
      baseUrl: proxy.url,
      apiKey: api.apiKey,
      clock: { now: () => now },
      retry: { maxAttempts: 1 },
      breaker: { failureThreshold: 3, cooldownMs: 10_000 },
      onBreakerChange: (s) => states.push(s),
    });
    await http.request(list);
    proxy.setMode({ kind: 'reset' });
    proxy.cutAll();
    for (let i = 0; i < 3; i++) {
      const error = (await http.request(list).catch((e: unknown) => e)) as ApiClientError;
      expect(error.code).toBe('network');
    }
    expect(http.breaker.state).toBe('open');
    const sent = http.stats.requests;
    const refused = (await http.request(list).catch((e: unknown) => e)) as ApiClientError;
    expect(refused.code).toBe('circuit_open');
    expect(http.stats.requests).toBe(sent);
    proxy.setMode({ kind: 'pass' });
    now += 10_001;
    expect(http.breaker.state).toBe('half_open');
    await expect(http.request(list)).resolves.toMatchObject({ status: 200 });
    expect(http.breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed half-open probe opens the breaker again', async () => {
    let now = Date.now();
    const http = new HttpClient({ baseUrl: proxy.url, apiKey: api.apiKey, clock: { now: () => now }, retry: { maxAttempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 1000 } });
    await http.accessToken();
    proxy.setMode({ kind: 'drop' });
    proxy.cutAll();
    await http.request(list).catch(() => undefined);
    expect(http.breaker.state).toBe('open');
    now += 1001;
    await http.request(list).catch(() => undefined);
    expect(http.breaker.state).toBe('open');
    proxy.setMode({ kind: 'pass' });
  });

  it('retries network failures with backoff, then succeeds when the network returns', async () => {
    const http = new HttpClient({ baseUrl: proxy.url, apiKey: api.apiKey, clock: { now: () => Date.now() }, retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 200 } });
    await http.accessToken();
    proxy.setMode({ kind: 'reset' });
    proxy.cutAll();
    setTimeout(() => proxy.setMode({ kind: 'pass' }), 150);
    await expect(http.request(list)).resolves.toMatchObject({ status: 200 });
  });

  it('times out on a blackholed connection', async () => {
    const http = new HttpClient({ baseUrl: proxy.url, apiKey: api.apiKey, clock: { now: () => Date.now() }, retry: { maxAttempts: 1 }, timeoutMs: 300 });
    await http.accessToken();
    proxy.setMode({ kind: 'blackhole' });
    proxy.cutAll();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = (await http.request(list).catch((e: unknown) => e)) as ApiClientError;
    proxy.setMode({ kind: 'pass' });
    expect(error.code).toBe('timeout');
    expect(error.transient).toBe(true);
  });

  it('retries a 5xx up to the cap and reports the server error (its database is gone)', async () => {
    const broken = await startApiServer();
    try {
      const http = new HttpClient({ baseUrl: broken.url, apiKey: broken.apiKey, clock: { now: () => Date.now() }, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
      await http.request(list);
      await broken.server?.context.storage.close();
      const before = broken.requests.length;
      const error = (await http.request(list).catch((e: unknown) => e)) as ApiClientError;
      expect(error.status).toBeGreaterThanOrEqual(500);
      expect(error.transient).toBe(true);
      expect(broken.requests.length - before).toBe(3);
    } finally {
      await broken.close().catch(() => undefined);
    }
  });

  it('a write retried after a client-side timeout lands exactly once (same Idempotency-Key)', async () => {
    const http = new HttpClient({ baseUrl: proxy.url, apiKey: api.apiKey, clock: { now: () => Date.now() }, retry: { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 400 }, timeoutMs: 250 });
    await http.accessToken();
    // Answers take 400 ms: the first attempt reaches the server, which runs it, but times out here.
    proxy.setMode({ kind: 'delay', ms: 400, onlyResponses: true });
    proxy.cutAll();
    setTimeout(() => proxy.setMode({ kind: 'pass' }), 900);
    const body = { title: 'exactly once', items: [{ content_id: 'once', platform: 'tiktok', scheduled_time: '2031-01-01T10:00:00Z' }] };
    const result = await http.request({ method: 'POST', path: '/api/v1/scheduling/calendar', body, schema: ScheduleSchema, idempotencyKey: 'exactly-once-1' });
    expect(result.data.title).toBe('exactly once');
    const list = await api.get<{ data: Array<{ title: string }> }>('/api/v1/scheduling/calendar?limit=200');
    expect(list.data.filter((s) => s.title === 'exactly once')).toHaveLength(1);
    expect(api.requests.filter((r) => r.url === '/api/v1/scheduling/calendar' && r.method === 'POST').length).toBeGreaterThanOrEqual(2);
  });

  it('backoff grows exponentially, is jittered and capped', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(10, policy, () => 0)).toBe(500);
  });
});
