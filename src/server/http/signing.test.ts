import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';
import { signRequest } from './signing';

forEachDialect((dialect) => {
  let t: TestServer;
  let secret: string;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false, signingSecret: true });
    secret = t.signingSecret!;
  });
  afterAll(() => t.close());

  const path = '/api/v1/scheduling/metrics';
  const body = JSON.stringify({ content_id: 'c', platform: 'youtube', published_at: '2026-11-01T10:00:00Z', impressions: 5, engagements: 1 });

  function signed(rawBody: string, options: { timestamp?: number; url?: string; signBody?: string } = {}) {
    const timestamp = String(options.timestamp ?? Date.now());
    const signature = signRequest(secret, 'POST', options.url ?? path, options.signBody ?? rawBody, timestamp);
    return call(t, 'POST', path, { raw: rawBody, headers: { 'x-timestamp': timestamp, 'x-signature': signature } });
  }

  it('a valid signature passes', async () => {
    const r = await signed(body);
    expect(r.status).toBe(200);
  });

  it('unsigned requests are refused with 401 and WWW-Authenticate', async () => {
    const r = await call(t, 'GET', '/api/v1/scheduling/platforms');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('a one-byte change of the body fails', async () => {
    const tampered = body.replace('"impressions":5', '"impressions":6');
    expect(tampered.length).toBe(body.length);
    const r = await signed(tampered, { signBody: body });
    expect(r.status).toBe(401);
    expect(r.text).toContain('X-Signature');
  });

  it('a timestamp 301 s off fails, either way', async () => {
    expect((await signed(body, { timestamp: Date.now() - 301_000 })).status).toBe(401);
    expect((await signed(body, { timestamp: Date.now() + 301_000 })).status).toBe(401);
  });

  it('a replayed signature fails', async () => {
    const timestamp = String(Date.now());
    const signature = signRequest(secret, 'GET', '/api/v1/scheduling/platforms', '', timestamp);
    const headers = { 'x-timestamp': timestamp, 'x-signature': signature };
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { headers })).status).toBe(200);
    const replay = await call(t, 'GET', '/api/v1/scheduling/platforms', { headers });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('replay');
  });

  it('the absolute URL the client addressed is accepted (the guide signs that)', async () => {
    const r = await signed(body.replace('"c"', '"abs"'), { url: `${t.url}${path}` });
    expect(r.status).toBe(200);
  });

  it('the query string is part of what is signed', async () => {
    const timestamp = String(Date.now());
    const signature = signRequest(secret, 'GET', '/api/v1/scheduling/calendar?limit=5', '', timestamp);
    const wrong = await call(t, 'GET', '/api/v1/scheduling/calendar?limit=6', { headers: { 'x-timestamp': timestamp, 'x-signature': signature } });
    expect(wrong.status).toBe(401);
    const right = await call(t, 'GET', '/api/v1/scheduling/calendar?limit=5', { headers: { 'x-timestamp': timestamp, 'x-signature': signature } });
    expect(right.status).toBe(200);
  });

  it('access tokens minted from a signing key must sign too', async () => {
    const tokens = await call<{ access_token: string }>(t, 'POST', '/api/v1/auth/token', { body: { grant_type: 'api_key', api_key: t.apiKey }, token: null });
    expect(tokens.status).toBe(200);
    const unsigned = await call(t, 'GET', '/api/v1/scheduling/platforms', { token: tokens.json.access_token });
    expect(unsigned.status).toBe(401);
  });
});
