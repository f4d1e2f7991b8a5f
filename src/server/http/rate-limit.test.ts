import { afterEach, expect, it } from 'vitest';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

forEachDialect((dialect) => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('a burst beyond the limit: exactly `limit` succeed, every 429 has Retry-After', async () => {
    const limit = 7;
    t = await startTestServer({ dialect, rateLimit: { limit, windowMs: 60_000 } });
    const server = t;
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(server, 'GET', '/api/v1/scheduling/platforms')));
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(limit);
    expect(limited).toHaveLength(20 - limit);
    for (const r of responses) {
      expect(r.headers.get('x-ratelimit-limit')).toBe(String(limit));
      expect(Number(r.headers.get('x-ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    }
    for (const r of limited) {
      const retryAfter = r.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((r.json as { error: { code: string } }).error.code).toBe('rate_limited');
    }
  });

  it('a client that waits Retry-After is served again', async () => {
    t = await startTestServer({ dialect, rateLimit: { limit: 2, windowMs: 1_000 } });
    let last = await call(t, 'GET', '/api/v1/scheduling/platforms');
    while (last.status !== 429) last = await call(t, 'GET', '/api/v1/scheduling/platforms');
    const wait = Number(last.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    const after = await call(t, 'GET', '/api/v1/scheduling/platforms');
    expect(after.status).toBe(200);
  });

  it('limits per account; unauthenticated callers are limited per IP', async () => {
    t = await startTestServer({ dialect, rateLimit: { limit: 3, windowMs: 60_000 } });
    const other = await t.createAccount();
    for (let i = 0; i < 3; i++) expect((await call(t, 'GET', '/api/v1/scheduling/platforms')).status).toBe(200);
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms')).status).toBe(429);
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: other.apiKey })).status).toBe(200);
    const anon = [];
    for (let i = 0; i < 4; i++) anon.push(await call(t, 'GET', '/health', { token: null }));
    expect(anon.map((r) => r.status)).toEqual([200, 200, 200, 429]);
  });
});
