import { afterEach, expect, it } from 'vitest';
import type { WebhookConfig } from '../../shared/api/account';
import { WebhookConfigSchema } from '../../shared/api/account';
import type { Item } from '../../shared/api/resources';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, type StartTestServerOptions, type TestServer } from '../testing/servers';
import { verifyWebhook } from './signing';
import { createScheduleViaApi, startReceiver, waitUntil, type Receiver } from './testing';

const SERVER_SECRET = 'whsec_c2VydmVyLXdpZGUtc2VjcmV0';

const cleanup: { servers: TestServer[]; receivers: Receiver[] } = { servers: [], receivers: [] };
afterEach(async () => {
  for (const s of cleanup.servers.splice(0)) await s.close();
  for (const r of cleanup.receivers.splice(0)) await r.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanup.receivers.push(r);
  return r;
}

async function server(options: StartTestServerOptions): Promise<TestServer> {
  const t = await startTestServer({ rateLimit: false, ...options });
  cleanup.servers.push(t);
  return t;
}

const headersFor = (apiKey: string) => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });
const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
const itemIdsIn = (r: Receiver) => r.received.map((x) => (JSON.parse(x.body) as { data: Item }).data.id).sort();

async function setWebhook(t: TestServer, apiKey: string, url: string): Promise<WebhookConfig> {
  const r = await call<WebhookConfig>(t, 'PUT', '/api/v1/account/webhook', { token: apiKey, body: { url } });
  expect(r.status).toBe(201);
  return WebhookConfigSchema.parse(r.json);
}

async function settled(t: TestServer, apiKey: string, scheduleId: string): Promise<Item[]> {
  return waitUntil(async () => {
    const r = await call<{ items: Item[] }>(t, 'GET', `/api/v1/scheduling/calendar/${scheduleId}?expand=items`, { token: apiKey });
    return r.json.items.every((i) => i.status === 'published' || i.status === 'failed') ? r.json.items : null;
  }, 15_000, 50);
}

forEachDialect((dialect) => {
  it("each account's items go to its own webhook only, signed with its own secret; an account without one gets the server's publisher", async () => {
    const hookA = await receiver();
    const hookB = await receiver();
    // No server-wide webhook: accounts without their own get reminders.
    const t = await server({ dialect, dispatcher: { allowLoopback: true, pollMs: 100 } });
    const b = await t.createAccount();
    const c = await t.createAccount();
    const configA = await setWebhook(t, t.apiKey, `${hookA.url}/a`);
    const configB = await setWebhook(t, b.apiKey, `${hookB.url}/b`);
    expect(configA.secret).toMatch(/^whsec_/);
    expect(configA.secret).not.toBe(configB.secret);

    const a1 = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: soon(300) }, { scheduled_time: soon(450) }]);
    const b1 = await createScheduleViaApi(t.url, headersFor(b.apiKey), [{ scheduled_time: soon(350) }, { scheduled_time: soon(500) }]);
    const c1 = await createScheduleViaApi(t.url, headersFor(c.apiKey), [{ scheduled_time: soon(400) }]);
    const [itemsA, itemsB, itemsC] = await Promise.all([settled(t, t.apiKey, a1.id), settled(t, b.apiKey, b1.id), settled(t, c.apiKey, c1.id)]);
    for (const item of [...itemsA, ...itemsB, ...itemsC]) expect(item.status).toBe('published');

    expect(itemIdsIn(hookA)).toEqual(itemsA.map((i) => i.id).sort());
    expect(itemIdsIn(hookB)).toEqual(itemsB.map((i) => i.id).sort());
    for (const request of hookA.received) {
      expect(request.path).toBe('/a');
      expect(verifyWebhook(configA.secret!, request.headers, request.body)).toBe(true);
      expect(verifyWebhook(configB.secret!, request.headers, request.body)).toBe(false);
    }
    for (const request of hookB.received) {
      expect(request.path).toBe('/b');
      expect(verifyWebhook(configB.secret!, request.headers, request.body)).toBe(true);
      expect(verifyWebhook(configA.secret!, request.headers, request.body)).toBe(false);
    }
    // C's item was reminded: it reached no receiver.
    const everything = [...hookA.received, ...hookB.received].map((r) => r.body).join('\n');
    expect(everything).not.toContain(itemsC[0]!.id);
  });

  it("falls back to the operator's server-wide webhook for accounts without their own", async () => {
    const serverHook = await receiver();
    const hookA = await receiver();
    const t = await server({
      dialect,
      dispatcher: { allowLoopback: true, pollMs: 100, publisher: { kind: 'webhook', url: serverHook.url, secret: SERVER_SECRET } },
    });
    const b = await t.createAccount();
    const configA = await setWebhook(t, t.apiKey, hookA.url);
    const a1 = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: soon(300) }]);
    const b1 = await createScheduleViaApi(t.url, headersFor(b.apiKey), [{ scheduled_time: soon(300) }]);
    const [itemsA, itemsB] = await Promise.all([settled(t, t.apiKey, a1.id), settled(t, b.apiKey, b1.id)]);
    expect([...itemsA, ...itemsB].map((i) => i.status)).toEqual(['published', 'published']);
    expect(itemIdsIn(hookA)).toEqual([itemsA[0]!.id]);
    expect(itemIdsIn(serverHook)).toEqual([itemsB[0]!.id]);
    expect(verifyWebhook(configA.secret!, hookA.received[0]!.headers, hookA.received[0]!.body)).toBe(true);
    expect(verifyWebhook(SERVER_SECRET, serverHook.received[0]!.headers, serverHook.received[0]!.body)).toBe(true);

    // Removing A's webhook sends A's next item to the server's.
    expect((await call(t, 'DELETE', '/api/v1/account/webhook')).status).toBe(200);
    const a2 = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: soon(300) }]);
    const [moved] = await settled(t, t.apiKey, a2.id);
    expect(moved!.status).toBe('published');
    expect(itemIdsIn(serverHook)).toEqual([itemsB[0]!.id, moved!.id].sort());
    expect(hookA.received).toHaveLength(1);
  });

  it('still checks the resolved address at delivery time (a loopback URL stored before the operator turned loopback off is refused)', async () => {
    const hook = await receiver();
    const t = await server({ dialect, dispatcher: { allowLoopback: false, pollMs: 100 } });
    // As if registered while the operator allowed loopback: the registration check cannot be the only one.
    const at = new Date().toISOString();
    await t.server.context.storage.db
      .insertInto('account_webhooks')
      .values({ account_id: t.accountId, url: hook.url, secret: 'whsec_dGVzdA==', created_at: at, updated_at: at })
      .execute();
    const s = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: soon(200) }]);
    const [item] = await settled(t, t.apiKey, s.id);
    expect(item!.status).toBe('failed');
    expect(item!.failure_reason).toMatch(/loopback/);
    expect(hook.received).toHaveLength(0);
  });

  it('after rotate_secret, deliveries are signed with the new secret and, for 24 h, the previous one too', async () => {
    const hook = await receiver();
    const t = await server({ dialect, dispatcher: { allowLoopback: true, pollMs: 100 } });
    const first = await setWebhook(t, t.apiKey, hook.url);
    const rotated = await call<WebhookConfig>(t, 'PUT', '/api/v1/account/webhook', { body: { url: hook.url, rotate_secret: true } });
    expect(rotated.status).toBe(200);
    const second = rotated.json.secret!;
    const graceEnds = Date.parse(rotated.json.previous_secret_expires_at!);
    expect(graceEnds - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(graceEnds - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const s1 = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: soon(200) }]);
    await settled(t, t.apiKey, s1.id);
    const during = hook.received[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhook(second, during.headers, during.body)).toBe(true);
    expect(verifyWebhook(first.secret!, during.headers, during.body)).toBe(true);

    // Once the grace period is over, only the current secret signs.
    await t.server.context.storage.db.updateTable('account_webhooks').set({ previous_secret_until_ms: Date.now() - 1 }).execute();
    expect((await call<WebhookConfig>(t, 'GET', '/api/v1/account/webhook')).json.previous_secret_expires_at).toBeUndefined();
    const s2 = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: soon(200) }]);
    await settled(t, t.apiKey, s2.id);
    const after = hook.received[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyWebhook(second, after.headers, after.body)).toBe(true);
    expect(verifyWebhook(first.secret!, after.headers, after.body)).toBe(false);
  });

  it("keeps account webhooks to the dispatcher's concurrency while the server's publisher is reminders", async () => {
    let inFlight = 0;
    let most = 0;
    const hook = await startReceiver(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 150));
      inFlight -= 1;
      return 200;
    });
    cleanup.receivers.push(hook);
    const t = await server({ dialect, dispatcher: { allowLoopback: true, pollMs: 100, concurrency: 2, batchSize: 500 } });
    const reminded = await t.createAccount();
    await setWebhook(t, t.apiKey, hook.url);
    const due = soon(300);
    const hooked = await createScheduleViaApi(t.url, t.headers(), Array.from({ length: 8 }, (_, i) => ({ content_id: `h${i}`, scheduled_time: due })));
    const plain = await createScheduleViaApi(t.url, headersFor(reminded.apiKey), Array.from({ length: 8 }, (_, i) => ({ content_id: `r${i}`, scheduled_time: due })));
    const [viaHook, viaReminder] = await Promise.all([settled(t, t.apiKey, hooked.id), settled(t, reminded.apiKey, plain.id)]);
    expect([...viaHook, ...viaReminder].every((i) => i.status === 'published')).toBe(true);
    expect(hook.received).toHaveLength(8);
    expect(most).toBeLessThanOrEqual(2);
  });

  it('PUT/GET/DELETE /account/webhook: validated, secret shown once, rotated on request, per account', async () => {
    const t = await server({ dialect });
    const other = await t.createAccount();
    expect((await call(t, 'GET', '/api/v1/account/webhook')).status).toBe(404);
    expect((await call(t, 'GET', '/api/v1/account/webhook', { token: null })).status).toBe(401);

    const refused: Array<[unknown, RegExp]> = [
      [{}, /url/],
      [{ url: 'ftp://hooks.example.com/x' }, /http/],
      [{ url: 'http://hooks.example.com/x' }, /https/],
      [{ url: 'http://127.0.0.1:9/x' }, /https/],
      [{ url: 'https://127.0.0.1/x' }, /loopback/],
      [{ url: 'https://localhost/x' }, /localhost/],
      [{ url: 'https://10.1.2.3/x' }, /private/],
      [{ url: 'https://[::ffff:169.254.169.254]/x' }, /metadata/],
      [{ url: 'https://user:pw@hooks.example.com/x' }, /credentials/],
      [{ url: 'https://hooks.example.com/x', secret: 'mine' }, /secret/],
      [{ url: `https://hooks.example.com/${'x'.repeat(2100)}` }, /url/],
    ];
    for (const [body, message] of refused) {
      const r = await call<{ error: { code: string; message: string; details: Array<{ path: string }> } }>(t, 'PUT', '/api/v1/account/webhook', { body });
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect(r.json.error.code).toBe('validation_failed');
      expect(r.json.error.message).toMatch(message);
    }
    expect((await call(t, 'GET', '/api/v1/account/webhook')).status).toBe(404);

    const created = await call<WebhookConfig>(t, 'PUT', '/api/v1/account/webhook', { body: { url: 'https://hooks.example.com/cadence' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const secret = created.json.secret!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.json.secret_prefix).toBe(secret.slice(0, 10));

    const read = await call<WebhookConfig>(t, 'GET', '/api/v1/account/webhook');
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ url: 'https://hooks.example.com/cadence', secret_prefix: secret.slice(0, 10), created_at: created.json.created_at, updated_at: created.json.updated_at });
    expect(read.text).not.toContain(secret);

    // Another account sees none and cannot remove this one.
    expect((await call(t, 'GET', '/api/v1/account/webhook', { token: other.apiKey })).status).toBe(404);
    expect((await call(t, 'DELETE', '/api/v1/account/webhook', { token: other.apiKey })).status).toBe(404);

    // A new URL keeps the secret (not shown again); rotate_secret replaces it.
    const moved = await call<WebhookConfig>(t, 'PUT', '/api/v1/account/webhook', { body: { url: 'https://hooks.example.com/v2' } });
    expect(moved.status).toBe(200);
    expect(moved.json.secret).toBeUndefined();
    expect(moved.json.secret_prefix).toBe(secret.slice(0, 10));
    const rotated = await call<WebhookConfig>(t, 'PUT', '/api/v1/account/webhook', { body: { url: 'https://hooks.example.com/v2', rotate_secret: true } });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(secret);
    const stored = await t.server.context.storage.db.selectFrom('account_webhooks').selectAll().execute();
    expect(stored.map((r) => [r.account_id, r.url, r.secret])).toEqual([[t.accountId, 'https://hooks.example.com/v2', rotated.json.secret]]);

    const removed = await call<WebhookConfig>(t, 'DELETE', '/api/v1/account/webhook');
    expect(removed.status).toBe(200);
    expect(removed.json.url).toBe('https://hooks.example.com/v2');
    expect((await call(t, 'GET', '/api/v1/account/webhook')).status).toBe(404);
    expect((await call(t, 'DELETE', '/api/v1/account/webhook')).status).toBe(404);
  });

  it('accepts http to loopback only where the operator allows loopback', async () => {
    const t = await server({ dialect, dispatcher: { enabled: false, allowLoopback: true } });
    for (const url of ['http://127.0.0.1:8080/hook', 'http://[::1]:8080/hook', 'http://localhost:8080/hook']) {
      const r = await call(t, 'PUT', '/api/v1/account/webhook', { body: { url } });
      expect([url, [200, 201].includes(r.status)]).toEqual([url, true]);
    }
    const r = await call<{ error: { message: string } }>(t, 'PUT', '/api/v1/account/webhook', { body: { url: 'http://hooks.example.com/x' } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/loopback/);
  });
});
