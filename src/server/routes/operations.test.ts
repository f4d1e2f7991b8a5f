import { afterEach, expect, it } from 'vitest';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

forEachDialect((dialect) => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it('every response has X-Request-Id; oversized and non-JSON bodies get contract errors', async () => {
    t = await startTestServer({ dialect, rateLimit: false });
    const given = await call(t, 'GET', '/api/v1/scheduling/platforms', { headers: { 'x-request-id': 'client-chosen-42' } });
    expect(given.headers.get('x-request-id')).toBe('client-chosen-42');
    const huge = await call<{ error: { code: string } }>(t, 'POST', '/api/v1/scheduling/metrics', { raw: `[${'1,'.repeat(1_100_000)}1]` });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('payload_too_large');
    const text = await call<{ error: { code: string } }>(t, 'POST', '/api/v1/scheduling/calendar', { raw: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    expect(text.json.error.code).toBe('validation_failed');
    // Content types with parameters (Dart's http, many browsers' defaults) and +json types parse as JSON.
    for (const type of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/merge-patch+json']) {
      const r = await call(t, 'POST', '/api/v1/scheduling/metrics', {
        raw: JSON.stringify({ content_id: type, platform: 'youtube', published_at: '2026-11-01T10:00:00Z', impressions: 1, engagements: 0 }),
        headers: { 'content-type': type },
      });
      expect(r.status, `${type}: ${r.text}`).toBe(200);
    }
    const missing = await call<{ error: { code: string; request_id: string } }>(t, 'GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.json.error.request_id).toBe(missing.headers.get('x-request-id'));
  });

  it('unmatched requests, even with a body that does not parse, get the request id and rate-limit headers', async () => {
    t = await startTestServer({ dialect, rateLimit: { limit: 100, windowMs: 60_000 } });
    const get = await call(t, 'GET', '/api/v1/nothing-here', { token: null });
    const post = await call(t, 'POST', '/nothing/here', { token: null, raw: '{not json', headers: { 'content-type': 'application/json' } });
    expect([get.status, post.status]).toEqual([404, 400]);
    for (const response of [get, post]) {
      expect(response.headers.get('x-request-id')).toMatch(/^req_/);
      expect(response.headers.get('x-ratelimit-limit')).toBe('100');
    }
    // Both were counted against the client's quota.
    expect(Number(post.headers.get('x-ratelimit-remaining'))).toBe(Number(get.headers.get('x-ratelimit-remaining')) - 1);
  });

  it('CORS for configured browser origins: preflight, exposed headers, other origins refused', async () => {
    t = await startTestServer({ dialect, rateLimit: { limit: 100, windowMs: 60_000 }, corsOrigins: ['https://app.example'] });
    const preflight = await fetch(`${t.url}/api/v1/scheduling/calendar`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, idempotency-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const get = await call(t, 'GET', '/api/v1/scheduling/platforms', { headers: { origin: 'https://app.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(get.headers.get('access-control-expose-headers')).toContain('X-RateLimit-Remaining');
    const unauthorized = await call(t, 'GET', '/api/v1/scheduling/platforms', { token: null, headers: { origin: 'https://app.example' } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const foreign = await call(t, 'GET', '/api/v1/scheduling/platforms', { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/health is 503 and names the database when it is down', async () => {
    t = await startTestServer({ dialect, rateLimit: false });
    const ok = await call<{ status: string; database: string }>(t, 'GET', '/health', { token: null });
    expect(ok.json).toMatchObject({ status: 'healthy', database: 'ok', scheduling_service: 'available' });
    await t.server.context.storage.close();
    const down = await call<{ status: string; failing: string[] }>(t, 'GET', '/health', { token: null });
    expect(down.status).toBe(503);
    expect(down.json.status).toBe('unhealthy');
    expect(down.json.failing).toContain('database');
    // With credentials the health check still answers 503, and the API says it is unavailable.
    expect((await call(t, 'GET', '/health', { token: 'cad_someone' })).status).toBe(503);
    const api = await call<{ error: { code: string } }>(t, 'GET', '/api/v1/scheduling/platforms', { token: 'cad_someone' });
    expect(api.status).toBe(503);
    expect(api.json.error.code).toBe('unavailable');
  });
});
