import { sql } from 'kysely';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createServer, type CadenceServer } from '../app';
import { call, type TestResponse } from '../testing/client';
import { TEST_DATABASE_URL, TEST_DIALECTS, forEachDialect, startTestServer, type TestServer } from '../testing/servers';
import { purgeExpiredRateLimitWindows } from './rate-limit';

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

describe.runIf(TEST_DIALECTS.includes('postgres'))('postgres, two servers on one database', () => {
  const WINDOW_MS = 60_000;

  /** Two servers (own pools, own memory) on one schema, on one clock held mid-window. */
  async function twoServers(limit: number): Promise<{ a: TestServer; b: TestServer; clock: { ms: number } }> {
    const clock = { ms: Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + WINDOW_MS / 2 };
    const options = { rateLimit: { limit, windowMs: WINDOW_MS }, clock: { now: () => clock.ms }, dispatcher: { enabled: false } };
    // Closed by the test that opened them (never through variables a later test reassigns).
    const a = await startTestServer({ dialect: 'postgres', ...options });
    onTestFinished(() => a.close());
    const b: CadenceServer = await createServer({ logger: false, databaseUrl: TEST_DATABASE_URL, pgSchema: a.pgSchema!, ...options });
    onTestFinished(() => b.close());
    return { a, b: { ...a, url: await b.listen(0), server: b }, clock };
  }

  function expectExactLimit(responses: TestResponse[], limit: number, resetSeconds: number): void {
    expect(responses.filter((r) => r.status === 200)).toHaveLength(limit);
    const limited = responses.filter((r) => r.status === 429);
    expect(limited).toHaveLength(responses.length - limit);
    for (const r of responses) {
      expect(r.headers.get('x-ratelimit-limit')).toBe(String(limit));
      expect(r.headers.get('x-ratelimit-reset')).toBe(String(resetSeconds));
    }
    // Mid-window on a held clock: the window ends in exactly 30 s.
    for (const r of limited) expect(r.headers.get('retry-after')).toBe('30');
  }

  it('a burst spread over both: exactly `limit` succeed, every 429 has Retry-After', async () => {
    const limit = 23;
    const { a, b, clock } = await twoServers(limit);
    const resetSeconds = (clock.ms + WINDOW_MS / 2) / 1000;
    const responses = await Promise.all(
      Array.from({ length: 90 }, (_, i) => call(i % 2 === 0 ? a : b, 'GET', '/api/v1/scheduling/platforms')),
    );
    expectExactLimit(responses, limit, resetSeconds);
    // Both processes served some of the allowed ones: the count really is shared.
    const remaining = responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get('x-ratelimit-remaining')));
    expect(new Set(remaining).size).toBe(limit);

    // Unauthenticated callers share their IP's window across processes too.
    const anonymous = await Promise.all(Array.from({ length: 60 }, (_, i) => call(i % 2 === 0 ? a : b, 'GET', '/health', { token: null })));
    expectExactLimit(anonymous, limit, resetSeconds);
  }, 30_000);

  it('the next window starts with the whole quota; ended windows are purged', async () => {
    const { a, b, clock } = await twoServers(3);
    for (const server of [a, b, a]) expect((await call(server, 'GET', '/api/v1/scheduling/platforms')).status).toBe(200);
    expect((await call(b, 'GET', '/api/v1/scheduling/platforms')).status).toBe(429);
    clock.ms += WINDOW_MS / 2; // the window's end: the next one begins
    for (const server of [b, a, b]) expect((await call(server, 'GET', '/api/v1/scheduling/platforms')).status).toBe(200);
    expect((await call(a, 'GET', '/api/v1/scheduling/platforms')).status).toBe(429);

    const db = a.server.context.storage.db;
    const rows = async () => (await sql<{ n: number }>`select count(*)::int as n from rate_limit_windows`.execute(db)).rows[0]?.n;
    expect(await rows()).toBe(2);
    expect(await purgeExpiredRateLimitWindows(db, clock.ms)).toBe(1);
    expect(await rows()).toBe(1);
  }, 30_000);

  it('while the database cannot count, each process falls back to its own counters', async () => {
    const { a } = await twoServers(2);
    // Only the limiter's table is gone: credentials still resolve, the upsert fails.
    await sql`alter table rate_limit_windows rename to rate_limit_windows_gone`.execute(a.server.context.storage.db);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(a, 'GET', '/api/v1/scheduling/platforms');
      expect(r.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      statuses.push(r.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  }, 30_000);
});
