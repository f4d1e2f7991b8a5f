// account.* end to end: a real core (remote mode) against the real server on loopback.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiKeyInfo, WebhookConfig } from '../../../shared/api/account';
import { createKeyForAccount } from '../../../server/storage/accounts';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { startClientCore, type ClientCore } from '../../testing/client-core';

let api: ApiServer;
let client: ClientCore;

beforeAll(async () => {
  api = await startApiServer({ dispatcher: { allowLoopback: false } });
  client = await startClientCore({ apiUrl: api.url, apiKey: api.apiKey });
});
afterAll(async () => {
  await client.close();
  await api.close();
});

it('lists the keys, revokes another one, and refuses to revoke the key the app uses', async () => {
  const other = (await createKeyForAccount(api.server!.context.storage.db, api.accountId))!;
  const keys = await client.call<ApiKeyInfo[]>('account.keys');
  expect(keys.map((key) => [key.prefix, key.current, key.revoked_at])).toEqual([
    [api.apiKey.slice(0, 12), true, null],
    [other.apiKey.slice(0, 12), false, null],
  ]);
  const [mine, theirs] = keys as [ApiKeyInfo, ApiKeyInfo];

  const refused = await client.raw('account.revokeKey', { id: mine.id });
  expect(refused.error?.code).toBe('validation_failed');
  expect(refused.error?.message).toMatch(/this app uses that key/);

  const revoked = await client.call<ApiKeyInfo>('account.revokeKey', { id: theirs.id });
  expect(revoked.revoked_at).not.toBeNull();
  // The revoked key no longer works; the app's key still does.
  const withRevoked = await fetch(`${api.url}/api/v1/scheduling/platforms`, { headers: { authorization: `Bearer ${other.apiKey}` } });
  expect(withRevoked.status).toBe(401);
  expect((await client.call<ApiKeyInfo[]>('account.keys')).find((key) => key.id === theirs.id)?.revoked_at).toBe(revoked.revoked_at);

  expect((await client.raw('account.revokeKey', { id: 'key_nonexistent' })).error?.code).toBe('not_found');
  expect((await client.raw('account.revokeKey', {})).error?.code).toBe('validation_failed');
});

it('sets the webhook (its secret shown once), rotates it, refuses a private address by field, removes it', async () => {
  expect(await client.call('account.webhook')).toBeNull();
  const created = await client.call<WebhookConfig>('account.setWebhook', { url: 'https://hooks.example.com/cadence' });
  expect(created.secret).toMatch(/^whsec_/);
  expect(created.secret?.startsWith(created.secret_prefix)).toBe(true);
  const read = await client.call<WebhookConfig>('account.webhook');
  expect(read.url).toBe('https://hooks.example.com/cadence');
  expect(read.secret).toBeUndefined();

  const moved = await client.call<WebhookConfig>('account.setWebhook', { url: 'https://hooks.example.com/v2' });
  expect(moved.secret).toBeUndefined();
  const rotated = await client.call<WebhookConfig>('account.setWebhook', { url: 'https://hooks.example.com/v2', rotateSecret: true });
  expect(rotated.secret).toMatch(/^whsec_/);
  expect(rotated.secret).not.toBe(created.secret);

  const privateUrl = await client.raw('account.setWebhook', { url: 'http://127.0.0.1:9/hook' });
  expect(privateUrl.error?.code).toBe('validation_failed');
  expect(JSON.stringify(privateUrl.error)).toContain('url');
  const notUrl = await client.raw('account.setWebhook', { url: 'hooks.example.com' });
  expect(notUrl.error?.code).toBe('validation_failed');
  expect(JSON.stringify(notUrl.error)).toContain('url');

  expect(await client.call('account.deleteWebhook')).toEqual({ removed: true });
  expect(await client.call('account.webhook')).toBeNull();
  expect(await client.call('account.deleteWebhook')).toEqual({ removed: false });
});
