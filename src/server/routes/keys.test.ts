import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyInfo, ApiKeyList } from '../../shared/api/account';
import { ApiKeyInfoSchema, ApiKeyListSchema } from '../../shared/api/account';
import type { TokenResponse } from '../../shared/api/resources';
import { createServer } from '../app';
import { waitUntil } from '../dispatch/testing';
import { connect, wsUrl } from '../events/testing';
import { createKeyForAccount } from '../storage/accounts';
import { revokeKey } from '../storage/keys';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, TEST_DATABASE_URL, TEST_DIALECTS, type TestServer } from '../testing/servers';
import { WS_CLOSE } from './ws';

interface ErrorBody {
  error: { code: string; message: string };
}

forEachDialect((dialect) => {
  let t: TestServer;
  let skewMs = 0;
  beforeEach(async () => {
    skewMs = 0;
    t = await startTestServer({ dialect, rateLimit: false, clock: { now: () => Date.now() + skewMs }, live: { heartbeatMs: 600_000 } });
  });
  afterEach(() => t.close());

  async function secondKey(): Promise<{ id: string; apiKey: string }> {
    const created = await createKeyForAccount(t.server.context.storage.db, t.accountId);
    return { id: created!.keyId, apiKey: created!.apiKey };
  }

  async function tokensFor(apiKey: string): Promise<TokenResponse> {
    const r = await call<TokenResponse>(t, 'POST', '/api/v1/auth/token', { token: null, body: { grant_type: 'api_key', api_key: apiKey } });
    expect(r.status).toBe(200);
    return r.json;
  }

  it("lists the account's keys with prefix, dates and flags, never a secret", async () => {
    const second = await secondKey();
    const other = await t.createAccount();
    const r = await call<ApiKeyList>(t, 'GET', '/api/v1/auth/keys');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const list = ApiKeyListSchema.parse(r.json);
    expect(list.data.map((k) => k.prefix)).toEqual([t.apiKey.slice(0, 12), second.apiKey.slice(0, 12)]);
    expect(list.data.map((k) => k.current)).toEqual([true, false]);
    expect(list.data.every((k) => k.revoked_at === null && k.signed === false)).toBe(true);
    // Neither the keys, nor their hashes, nor the other account's key.
    for (const secret of [t.apiKey, second.apiKey, other.apiKey, other.keyId]) expect(r.text).not.toContain(secret);
    expect(r.text).not.toMatch(/[0-9a-f]{64}/);

    // Using a key records it (written in the background, at most once a minute per key).
    await call(t, 'GET', '/api/v1/scheduling/platforms', { token: second.apiKey });
    const used = await waitUntil(async () => {
      const again = await call<ApiKeyList>(t, 'GET', '/api/v1/auth/keys', { token: second.apiKey });
      const mine = again.json.data.find((k) => k.id === second.id);
      return mine?.last_used_at ? again.json : null;
    });
    expect(used.data.find((k) => k.id === second.id)?.current).toBe(true);
  });

  it('revoking a key ends it and every token minted from it at once, cached or not, open WebSockets included', async () => {
    const victim = await secondKey();
    const tokens = await tokensFor(victim.apiKey);
    // Warm the principal cache with both credentials.
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: victim.apiKey })).status).toBe(200);
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: tokens.access_token })).status).toBe(200);
    const ws = await connect(wsUrl(t.url, '/ws'), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    await ws.waitFor((m) => m.type === 'authenticated');

    const revoked = await call<ApiKeyInfo>(t, 'DELETE', `/api/v1/auth/keys/${victim.id}`);
    expect(revoked.status).toBe(200);
    const info = ApiKeyInfoSchema.parse(revoked.json);
    expect(info).toMatchObject({ id: victim.id, current: false });
    expect(Date.parse(info.revoked_at!)).not.toBeNaN();

    for (const token of [victim.apiKey, tokens.access_token]) {
      const r = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/platforms', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    const refresh = await call<ErrorBody>(t, 'POST', '/api/v1/auth/token', { token: null, body: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } });
    expect(refresh.status).toBe(401);
    expect(refresh.json.error.message).toMatch(/revoked/);
    const grant = await call(t, 'POST', '/api/v1/auth/token', { token: null, body: { grant_type: 'api_key', api_key: victim.apiKey } });
    expect(grant.status).toBe(401);
    expect((await ws.closed).code).toBe(WS_CLOSE.unauthorized);

    // The tokens are gone from the database too, not only refused.
    const db = t.server.context.storage.db;
    expect(await db.selectFrom('access_tokens').select('token_hash').where('key_id', '=', victim.id).execute()).toHaveLength(0);
    const refreshRows = await db.selectFrom('refresh_tokens').select('status').where('key_id', '=', victim.id).execute();
    expect(refreshRows.map((r) => r.status)).toEqual(['revoked']);

    // The account's other key is untouched; the list shows the revocation; revoking again changes nothing.
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms')).status).toBe(200);
    const list = await call<ApiKeyList>(t, 'GET', '/api/v1/auth/keys');
    expect(list.json.data.find((k) => k.id === victim.id)?.revoked_at).toBe(info.revoked_at);
    const again = await call<ApiKeyInfo>(t, 'DELETE', `/api/v1/auth/keys/${victim.id}`);
    expect(again.status).toBe(200);
    expect(again.json.revoked_at).toBe(info.revoked_at);
  });

  it("another account's key id is a 404 and stays valid; unknown ids are 404", async () => {
    const other = await t.createAccount();
    const otherTokens = await tokensFor(other.apiKey);
    for (const id of [other.keyId, 'key_doesnotexist']) {
      const r = await call<ErrorBody>(t, 'DELETE', `/api/v1/auth/keys/${id}`);
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('not_found');
    }
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: other.apiKey })).status).toBe(200);
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: otherTokens.access_token })).status).toBe(200);
    const theirs = await call<ApiKeyList>(t, 'GET', '/api/v1/auth/keys', { token: other.apiKey });
    expect(theirs.json.data.map((k) => [k.id, k.revoked_at])).toEqual([[other.keyId, null]]);
    expect((await call(t, 'GET', '/api/v1/auth/keys', { token: null })).status).toBe(401);
  });

  it('a key can revoke itself (through its own access token), and the token dies with it', async () => {
    const tokens = await tokensFor(t.apiKey);
    const keys = await call<ApiKeyList>(t, 'GET', '/api/v1/auth/keys', { token: tokens.access_token });
    const self = keys.json.data.find((k) => k.current)!;
    const r = await call<ApiKeyInfo>(t, 'DELETE', `/api/v1/auth/keys/${self.id}`, { token: tokens.access_token });
    expect(r.status).toBe(200);
    expect(r.json.current).toBe(true);
    expect((await call(t, 'GET', '/api/v1/auth/keys', { token: tokens.access_token })).status).toBe(401);
    expect((await call(t, 'GET', '/api/v1/auth/keys')).status).toBe(401);
  });

  it('a revocation by another process (the CLI) is seen at the latest when the cache entry lapses (5 s; PostgreSQL: at once, below)', async () => {
    const victim = await secondKey();
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: victim.apiKey })).status).toBe(200);
    // As `revoke-key` does, straight in the database: this server's cache is not told.
    const db = t.server.context.storage.db;
    expect(await revokeKey(db, t.accountId, victim.id, Date.now())).not.toBeNull();
    skewMs = 5_001;
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: victim.apiKey })).status).toBe(401);
  });
});

describe.runIf(TEST_DIALECTS.includes('postgres'))('postgres, two servers on one database', () => {
  it('a key revoked anywhere (the CLI, another server) stops working on every server at once, without waiting for the cache', async () => {
    const a = await startTestServer({ dialect: 'postgres', rateLimit: false });
    // B's clock stands still: its cache entries never lapse, so only the notification can end the key there.
    const frozen = Date.now();
    const b = await createServer({
      logger: false,
      databaseUrl: TEST_DATABASE_URL,
      pgSchema: a.pgSchema!,
      rateLimit: false,
      clock: { now: () => frozen },
      dispatcher: { enabled: false },
    });
    try {
      const bUrl = await b.listen(0);
      const db = a.server.context.storage.db;
      const viaCli = (await createKeyForAccount(db, a.accountId))!;
      const viaApi = (await createKeyForAccount(db, a.accountId))!;
      const onB = (key: string) => fetch(`${bUrl}/api/v1/scheduling/platforms`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
      expect(await onB(viaCli.apiKey)).toBe(200);
      expect(await onB(viaApi.apiKey)).toBe(200);
      const ws = await connect(wsUrl(bUrl, '/ws'), { headers: { authorization: `Bearer ${viaApi.apiKey}` } });
      await ws.waitFor((m) => m.type === 'authenticated');

      // As `revoke-key` does: straight in the database, from outside any server.
      await revokeKey(db, a.accountId, viaCli.keyId, Date.now());
      await waitUntil(async () => (await onB(viaCli.apiKey)) === 401);
      // Through server A's API: B's cache and B's open WebSocket let go too.
      expect((await call(a, 'DELETE', `/api/v1/auth/keys/${viaApi.keyId}`)).status).toBe(200);
      await waitUntil(async () => (await onB(viaApi.apiKey)) === 401);
      expect((await ws.closed).code).toBe(WS_CLOSE.unauthorized);
      expect(await onB(a.apiKey)).toBe(200);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
