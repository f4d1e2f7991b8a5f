// The client's account calls (keys, webhook) against the real server on loopback.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeyForAccount } from '../../../server/storage/accounts';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { ApiClientError } from './errors';
import { HttpClient } from './http-client';
import { SchedulingApi } from './scheduling-api';

let api: ApiServer;
beforeAll(async () => {
  api = await startApiServer();
});
afterAll(() => api.close());

const client = (apiKey = api.apiKey) => new SchedulingApi(new HttpClient({ baseUrl: api.url, apiKey, clock: { now: () => Date.now() } }));

it('lists and revokes keys; revoking its own key ends the client', async () => {
  const second = (await createKeyForAccount(api.server!.context.storage.db, api.accountId))!;
  const mine = client(second.apiKey);
  const keys = await mine.listKeys();
  expect(keys.map((k) => [k.prefix, k.current])).toEqual([
    [api.apiKey.slice(0, 12), false],
    [second.apiKey.slice(0, 12), true],
  ]);
  const first = keys[0]!;
  // A client on the first key revokes that key (its own) through its access token...
  const revoked = await client().revokeKey(first.id);
  expect(revoked.revoked_at).not.toBeNull();
  expect((await mine.listKeys()).find((k) => k.id === first.id)?.revoked_at).toBe(revoked.revoked_at);
  const error = await client().platforms().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiClientError);
  expect((error as ApiClientError).status).toBe(401);
  // ...and the second one revokes itself.
  expect((await mine.revokeKey(second.keyId)).current).toBe(true);
  expect(((await mine.platforms().catch((e: unknown) => e)) as ApiClientError).status).toBe(401);
});

it('sets, reads, rotates and removes the account webhook; the secret is shown once', async () => {
  const db = api.server!.context.storage.db;
  const { apiKey } = (await createKeyForAccount(db, api.accountId))!;
  const c = client(apiKey);
  expect(await c.getWebhook()).toBeNull();
  const created = await c.setWebhook('https://hooks.example.com/cadence');
  expect(created.secret).toMatch(/^whsec_/);
  const read = await c.getWebhook();
  expect(read).toMatchObject({ url: 'https://hooks.example.com/cadence', secret_prefix: created.secret!.slice(0, 10) });
  expect(read!.secret).toBeUndefined();
  const rotated = await c.setWebhook('https://hooks.example.com/cadence', true);
  expect(rotated.secret).toMatch(/^whsec_/);
  expect(rotated.secret).not.toBe(created.secret);
  const refused = await c.setWebhook('http://hooks.example.com/x').catch((e: unknown) => e);
  expect((refused as ApiClientError).status).toBe(400);
  expect((refused as ApiClientError).extra.details?.[0]?.path).toBe('url');
  expect(await c.deleteWebhook()).toBe(true);
  expect(await c.deleteWebhook()).toBe(false);
  expect(await c.getWebhook()).toBeNull();
});
