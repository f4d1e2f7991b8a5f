import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/api/events';
import type { Item } from '../../shared/api/resources';
import { createServer, type CadenceServer } from '../app';
import { connect, wsUrl, type RecordingClient } from '../events/testing';
import { forEachDialect, startTestServer, TEST_DATABASE_URL, TEST_DIALECTS, type TestServer } from '../testing/servers';
import { Dispatcher } from './dispatcher';
import { dispatcherOf } from './index';
import { resolveDispatcherOptions } from './options';
import { addressProblem, checkOutboundUrl, OutboundRefused } from './outbound';
import { verifyWebhook } from './signing';
import { createScheduleViaApi, startReceiver, waitUntil, type Receiver } from './testing';

const SECRET = 'whsec_dGVzdC1zZWNyZXQ=';
const quiet = { warn: () => undefined, error: () => undefined };

interface Cleanup {
  servers: Array<{ close(): Promise<void> }>;
  receivers: Receiver[];
  clients: RecordingClient[];
  children: ChildProcess[];
  dispatchers: Dispatcher[];
}
const cleanup: Cleanup = { servers: [], receivers: [], clients: [], children: [], dispatchers: [] };
afterEach(async () => {
  for (const c of cleanup.children.splice(0)) c.kill('SIGKILL');
  for (const c of cleanup.clients.splice(0)) c.ws.terminate();
  for (const d of cleanup.dispatchers.splice(0)) await d.stop();
  for (const s of cleanup.servers.splice(0).reverse()) await s.close();
  for (const r of cleanup.receivers.splice(0)) await r.close();
});

async function receiver(respond?: Receiver['respond']): Promise<Receiver> {
  const r = await startReceiver(respond);
  cleanup.receivers.push(r);
  return r;
}

async function server(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const t = await startTestServer(options);
  cleanup.servers.push(t);
  return t;
}

async function items(t: TestServer, scheduleId: string): Promise<Item[]> {
  const res = await fetch(`${t.url}/api/v1/scheduling/calendar/${scheduleId}?expand=items`, { headers: t.headers() });
  return ((await res.json()) as { items: Item[] }).items;
}

const allSettled = (t: TestServer, scheduleId: string, count: number) =>
  waitUntil(async () => {
    const list = await items(t, scheduleId);
    return list.length === count && list.every((i) => i.status === 'published' || i.status === 'failed') ? list : null;
  }, 15_000, 50);

const at = (ms: number) => new Date(ms).toISOString();
const bodyOf = (r: { body: string }) => JSON.parse(r.body) as { type: string; timestamp: string; data: Item };

forEachDialect((dialect) => {
  it('fires items at or after their time, never before, announcing them first', async () => {
    const hook = await receiver();
    const t = await server({
      dialect,
      dispatcher: { publisher: { kind: 'webhook', url: hook.url, secret: SECRET }, allowLoopback: true, pollMs: 200, dueSoonMs: 1500 },
    });
    const ws = await connect(wsUrl(t.url, '/ws'), { headers: { authorization: `Bearer ${t.apiKey}` } });
    cleanup.clients.push(ws);
    ws.send({ type: 'subscribe', schedules: ['*'], since: 0 });
    await ws.waitFor((m) => m.type === 'subscribed');

    const base = Date.now() + 1000;
    const schedule = await createScheduleViaApi(
      t.url,
      t.headers(),
      Array.from({ length: 8 }, (_, i) => ({ scheduled_time: at(base + i * 137) })),
    );
    const done = await allSettled(t, schedule.id, 8);
    expect(done.every((i) => i.status === 'published')).toBe(true);
    expect(hook.received).toHaveLength(8);
    for (const request of hook.received) {
      const item = bodyOf(request).data;
      const due = Date.parse(item.scheduled_time);
      // Recorded on arrival at the receiver: never before the item's time.
      expect(request.at).toBeGreaterThanOrEqual(due);
      expect(verifyWebhook(SECRET, request.headers, request.body)).toBe(true);
    }
    for (const item of done) expect(Date.parse(item.published_at!)).toBeGreaterThanOrEqual(Date.parse(item.scheduled_time));

    // Live: each item was announced, went processing, then published, in that order.
    await ws.waitForEvents(1 + 8 * 3);
    for (const item of schedule.items!) {
      const mine = ws.events().filter((e: ServerEvent) => e.data.id === item.id);
      expect(mine.map((e) => (e.type === 'item.status_changed' ? e.data.status : e.type))).toEqual(['item.due_soon', 'processing', 'published']);
      expect(mine.map((e) => e.data.version)).toEqual([1, 2, 3]);
    }

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/cadence_dispatch_transitions_total\{status="published"\} 8/);
    expect(metrics).toMatch(/cadence_dispatch_due_soon_total 8/);
    expect(metrics).toMatch(/cadence_ws_connections 1/);
    expect(metrics).toMatch(/cadence_dispatch_fire_lateness_seconds_count 8/);
  });

  it('claims and announces at most a batch per statement', async () => {
    const t = await server({ dialect, dispatcher: { enabled: false } });
    const soon = Date.now() + 60_000;
    await createScheduleViaApi(t.url, t.headers(), [
      ...Array.from({ length: 30 }, () => ({ scheduled_time: at(Date.now() - 1000) })),
      ...Array.from({ length: 30 }, (_, i) => ({ scheduled_time: at(soon + i) })),
    ]);
    const d = new Dispatcher(t.server.context, resolveDispatcherOptions({ batchSize: 7, dueSoonMs: 120_000 }), quiet);
    const now = Date.now();
    expect(await d.claimItems(now, 7)).toHaveLength(7);
    expect(await d.announceDueSoon(now)).toBe(7);
    const db = t.server.context.storage.db;
    const processing = await db.selectFrom('items').select('id').where('status', '=', 'processing').execute();
    const announced = await db.selectFrom('items').select('id').where('due_soon_for_ms', 'is not', null).execute();
    expect([processing.length, announced.length]).toEqual([7, 7]);
    await d.releaseLeases();
  });

  it('retries a failing receiver: one logical delivery, one stable webhook-id, valid signatures, then the callback', async () => {
    const hook = await receiver((_r, index) => (index < 3 ? 500 : 200));
    const callbacks = await receiver();
    const t = await server({
      dialect,
      dispatcher: {
        publisher: { kind: 'webhook', url: hook.url, secret: SECRET },
        allowLoopback: true,
        pollMs: 100,
        retryBaseMs: 40,
        retryMaxMs: 200,
        callbackSecret: SECRET,
      },
    });
    const schedule = await createScheduleViaApi(t.url, t.headers(), [
      { scheduled_time: at(Date.now() + 200), callbacks: { on_published: `${callbacks.url}/published`, on_failed: `${callbacks.url}/failed` } },
    ]);
    const [item] = await allSettled(t, schedule.id, 1);
    expect(item).toMatchObject({ status: 'published', attempts: 4, failure_reason: null, version: 3 });
    expect(hook.received).toHaveLength(4);
    const ids = new Set(hook.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^msg_/);
    for (const r of hook.received) expect(verifyWebhook(SECRET, r.headers, r.body)).toBe(true);
    // A tampered body does not verify.
    expect(verifyWebhook(SECRET, hook.received[0]!.headers, hook.received[0]!.body.replace('processing', 'published'))).toBe(false);

    const [callback] = await waitUntil(async () => (callbacks.received.length === 1 ? callbacks.received : null));
    expect(callback!.path).toBe('/published');
    expect(verifyWebhook(SECRET, callback!.headers, callback!.body)).toBe(true);
    expect(bodyOf(callback!)).toMatchObject({ type: 'item.published', data: { id: item!.id, status: 'published' } });
  });

  it('fails an item whose receiver keeps failing once the processing deadline has passed', async () => {
    const hook = await receiver(() => 503);
    const callbacks = await receiver();
    const t = await server({
      dialect,
      dispatcher: { publisher: { kind: 'webhook', url: hook.url, secret: SECRET }, allowLoopback: true, pollMs: 100, retryBaseMs: 30, retryMaxMs: 100 },
    });
    // The API's smallest deadline is one minute; shorten it in the row to keep the test quick.
    const schedule = await createScheduleViaApi(t.url, t.headers(), [
      { scheduled_time: at(Date.now() + 100), callbacks: { on_failed: `${callbacks.url}/failed` } },
    ]);
    await t.server.context.storage.db.updateTable('schedules').set({ processing_deadline_ms: 600 }).where('id', '=', schedule.id).execute();
    const [item] = await allSettled(t, schedule.id, 1);
    expect(item!.status).toBe('failed');
    expect(item!.failure_reason).toMatch(/HTTP 503/);
    expect(item!.attempts).toBeGreaterThan(1);
    const last = hook.received.at(-1)!;
    expect(last.at).toBeLessThanOrEqual(Date.parse(item!.scheduled_time) + 600 + 1000);
    await waitUntil(async () => callbacks.received.length === 1);
    expect(bodyOf(callbacks.received[0]!)).toMatchObject({ type: 'item.failed', data: { status: 'failed' } });
  });
});

describe.runIf(TEST_DIALECTS.includes('sqlite'))('item.due_soon', () => {
  it('is sent once per item, and again for a rescheduled item', async () => {
    const t = await server({ dialect: 'sqlite', dispatcher: { pollMs: 50, dueSoonMs: 60_000 } });
    const schedule = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: at(Date.now() + 30_000) }]);
    const item = schedule.items![0]!;
    const dueSoon = () =>
      t.server.context.storage.db.selectFrom('events').select('data').where('type', '=', 'item.due_soon').execute();
    await waitUntil(async () => (await dueSoon()).length === 1);
    await new Promise((r) => setTimeout(r, 200)); // several more scans
    expect(await dueSoon()).toHaveLength(1);
    const moved = at(Date.now() + 40_000);
    const res = await fetch(`${t.url}/api/v1/scheduling/calendar/${schedule.id}/items/${item.id}`, {
      method: 'PATCH',
      headers: t.headers(),
      body: JSON.stringify({ scheduled_time: moved }),
    });
    expect(res.status).toBe(200);
    const events = await waitUntil(async () => {
      const list = await dueSoon();
      return list.length === 2 ? list : null;
    });
    expect(events.map((e) => (JSON.parse(e.data) as Item).scheduled_time)).toEqual([item.scheduled_time, moved]);
  });
});

describe.runIf(TEST_DIALECTS.includes('sqlite'))('reminders', () => {
  it('publishes due reminders, but fails one first reached after its processing window', async () => {
    const t = await server({ dialect: 'sqlite', dispatcher: { pollMs: 50 } });
    const schedule = await createScheduleViaApi(
      t.url,
      t.headers(),
      [{ scheduled_time: at(Date.now() - 2 * 60_000) }, { scheduled_time: at(Date.now() + 100) }],
      { processing_deadline_ms: 60_000 },
    );
    const done = await allSettled(t, schedule.id, 2);
    const [missed, onTime] = schedule.items!.map((i) => done.find((d) => d.id === i.id)!);
    expect(missed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(missed!.failure_reason).toMatch(/deadline passed/);
    expect(onTime).toMatchObject({ status: 'published', attempts: 1, version: 3 });
    expect(Date.parse(onTime!.published_at!)).toBeGreaterThanOrEqual(Date.parse(onTime!.scheduled_time));
  });
});

describe('outbound URL guard', () => {
  it('classifies addresses, including IPv4 hidden in IPv6', () => {
    for (const bad of ['127.0.0.1', '10.0.0.1', '172.20.1.1', '192.168.1.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '224.0.0.1']) {
      expect(addressProblem(bad, false), bad).not.toBeNull();
    }
    for (const good of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(addressProblem(good, false), good).toBeNull();
    expect(addressProblem('127.0.0.1', true)).toBeNull();
    expect(addressProblem('::1', true)).toBeNull();
    expect(addressProblem('10.0.0.1', true)).not.toBeNull();
  });

  it('checks every resolved address and the scheme before any connection', async () => {
    const resolve = async () => ['93.184.216.34', '10.0.0.5'];
    await expect(checkOutboundUrl('https://rebind.example/hook', { allowLoopback: false, resolve })).rejects.toBeInstanceOf(OutboundRefused);
    await expect(checkOutboundUrl('https://ok.example/hook', { allowLoopback: false, resolve: async () => ['93.184.216.34'] })).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('ftp://ok.example/x', { allowLoopback: false })).rejects.toThrow(/http\(s\)/);
    await expect(checkOutboundUrl('http://u:p@ok.example/x', { allowLoopback: false, resolve: async () => ['93.184.216.34'] })).rejects.toThrow(/credentials/);
    await expect(checkOutboundUrl('http://[::ffff:127.0.0.1]:8080/', { allowLoopback: false })).rejects.toBeInstanceOf(OutboundRefused);
  });

  it('cuts a receiver that trickles its answer at the request timeout', async () => {
    const http = await import('node:http');
    const timers: NodeJS.Timeout[] = [];
    const slow = http.createServer((_req, res) => {
      res.writeHead(200);
      timers.push(setInterval(() => res.write('.'), 30));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', () => resolve()));
    const { postJson } = await import('./outbound');
    try {
      const port = (slow.address() as net.AddressInfo).port;
      await expect(postJson(`http://127.0.0.1:${port}/`, '{}', {}, { allowLoopback: true, timeoutMs: 300 })).rejects.toThrow(/within 300 ms/);
    } finally {
      for (const t of timers) clearInterval(t);
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('refuses callbacks to 127.0.0.1, 10.0.0.1 and 169.254.169.254 without connecting while loopback is not allowed', async () => {
    const local = await receiver();
    const t = await server({ dialect: 'sqlite', dispatcher: { pollMs: 100, allowLoopback: false } });
    const targets = [`${local.url}/cb`, 'http://10.0.0.1/cb', 'http://169.254.169.254/latest/meta-data/'];
    const connects: string[] = [];
    const original = net.Socket.prototype.connect;
    // Record every outgoing TCP connection attempt of this process (the server runs in it).
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      // net.connect() passes its normalized arguments as one array.
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      if (first && typeof first === 'object' && 'host' in first) {
        const { host, port } = first as { host?: string; port?: number };
        connects.push(`${host}:${port}`);
      }
      return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof original;
    try {
      const schedule = await createScheduleViaApi(
        t.url,
        t.headers(),
        targets.map((url) => ({ scheduled_time: at(Date.now() + 100), callbacks: { on_published: url } })),
      );
      await allSettled(t, schedule.id, 3);
      const rows = await waitUntil(async () => {
        const list = await t.server.context.storage.db.selectFrom('callback_deliveries').selectAll().execute();
        return list.length === 3 && list.every((r) => r.status === 'failed') ? list : null;
      });
      for (const row of rows) {
        expect(row.last_error).toMatch(/refused/);
        expect(Number(row.attempts)).toBe(1);
      }
    } finally {
      net.Socket.prototype.connect = original;
    }
    expect(local.received).toHaveLength(0);
    expect(connects.filter((h) => /^(10\.0\.0\.1|169\.254\.169\.254):/.test(h))).toEqual([]);
    expect(connects).not.toContain(`127.0.0.1:${new URL(local.url).port}`);
    // The recorder works: the test's own requests to the API were seen.
    expect(connects).toContain(`127.0.0.1:${new URL(t.url).port}`);
  });
});

const fixture = fileURLToPath(new URL('./lease-holder.fixture.ts', import.meta.url));

// Several server processes on one database is the PostgreSQL deployment (SQLite is embedded,
// one process; its restart path is the graceful-shutdown test below).
describe.runIf(TEST_DIALECTS.includes('postgres'))('postgres, a dispatcher process killed with SIGKILL', () => {
  const dialect = 'postgres' as const;
  it('has its items reclaimed once their leases expire', async () => {
    // Its requests time out at half the lease: long enough to kill it while it still holds them.
    const leaseMs = 3000;
    let answering = false;
    const hook = await receiver(() => (answering ? 200 : new Promise<number>(() => undefined)));
    const t = await server({ dialect, dispatcher: { enabled: false } });
    const schedule = await createScheduleViaApi(
      t.url,
      t.headers(),
      Array.from({ length: 3 }, () => ({ scheduled_time: at(Date.now() + 300) })),
    );
    const args = t.dataDir ? { dataDir: t.dataDir } : { databaseUrl: TEST_DATABASE_URL, pgSchema: t.pgSchema };
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify({ ...args, url: hook.url, leaseMs })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.children.push(child);
    // The child claims all three and hangs in their deliveries.
    await waitUntil(async () => hook.received.length >= 3, 20_000);
    const db = t.server.context.storage.db;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const held = await db.selectFrom('items').select(['id', 'lease_owner', 'lease_expires_ms', 'status', 'delivery_id']).execute();
    expect(held.every((i) => i.status === 'processing' && i.lease_owner?.startsWith('fixture-'))).toBe(true);
    const expiry = Math.max(...held.map((i) => Number(i.lease_expires_ms)));

    answering = true;
    const survivor = new Dispatcher(
      t.server.context,
      resolveDispatcherOptions({ publisher: { kind: 'webhook', url: hook.url, secret: SECRET }, allowLoopback: true, pollMs: 100, leaseMs }),
      quiet,
    );
    cleanup.dispatchers.push(survivor);
    survivor.start();
    const done = await allSettled(t, schedule.id, 3);
    expect(done.every((i) => i.status === 'published')).toBe(true);
    expect(new Set(hook.received.slice(0, 3).map((r) => bodyOf(r).data.id)).size).toBe(3);
    const retries = hook.received.slice(3);
    expect(retries).toHaveLength(3);
    for (const r of retries) {
      // Not before the dead process's lease ran out, and with the delivery id it had used.
      expect(r.at).toBeGreaterThanOrEqual(expiry);
      const first = hook.received.slice(0, 3).find((f) => bodyOf(f).data.id === bodyOf(r).data.id)!;
      expect(r.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(held.find((h) => h.id === bodyOf(r).data.id)!.delivery_id).toBe(r.headers['webhook-id']);
    }
  });
});

describe.runIf(TEST_DIALECTS.includes('sqlite'))('graceful shutdown', () => {
  it('releases the leases it holds, and the next start delivers with the same webhook-id', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createAccountWithKey } = await import('../storage/accounts');
    let answering = false;
    const hook = await receiver(() => (answering ? 200 : new Promise<number>(() => undefined)));
    const dataDir = mkdtempSync(join(tmpdir(), 'cadence-dispatch-restart-'));
    const dispatcher = { publisher: { kind: 'webhook', url: hook.url, secret: SECRET }, allowLoopback: true, pollMs: 100, shutdownGraceMs: 100 } as const;
    let second: CadenceServer | undefined;
    try {
      const first = await createServer({ logger: false, dataDir, dispatcher });
      const { apiKey } = await createAccountWithKey(first.context.storage.db);
      const url = await first.listen(0);
      const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      await createScheduleViaApi(url, headers, [{ scheduled_time: at(Date.now() + 100) }]);
      await waitUntil(async () => hook.received.length === 1);
      await first.close();

      second = await createServer({ logger: false, dataDir, dispatcher: { ...dispatcher, enabled: false } });
      const [released] = await second.context.storage.db.selectFrom('items').selectAll().execute();
      expect(released).toMatchObject({ status: 'processing', lease_owner: null, lease_expires_ms: null });
      await second.close();

      answering = true;
      second = await createServer({ logger: false, dataDir, dispatcher });
      const published = await waitUntil(async () => {
        const [row] = await second!.context.storage.db.selectFrom('items').selectAll().execute();
        return row?.status === 'published' ? row : null;
      });
      expect(hook.received).toHaveLength(2);
      expect(hook.received[1]!.headers['webhook-id']).toBe(hook.received[0]!.headers['webhook-id']);
      expect(published.delivery_id).toBe(hook.received[0]!.headers['webhook-id']);
    } finally {
      await second?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(TEST_DIALECTS.includes('postgres'))('postgres, a claim racing a cancel', () => {
  it('waits for the account instead of deadlocking with a request that cancels the same items', async () => {
    const t = await server({ dialect: 'postgres', dispatcher: { enabled: false } });
    const schedule = await createScheduleViaApi(t.url, t.headers(), [{ scheduled_time: at(Date.now() - 1000) }, { scheduled_time: at(Date.now() - 1000) }]);
    const [a, b] = schedule.items!;
    const pg = (await import('pg')).default;
    // What the API's cancel does, step by step: cancel A, append its event (head locked), then B.
    const api = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${t.pgSchema}` });
    await api.connect();
    try {
      await api.query('begin');
      await api.query(`update items set status = 'cancelled' where id = $1`, [a!.id]);
      await api.query('update account_event_heads set head_seq = head_seq + 1 where account_id = $1', [t.accountId]);
      const d = new Dispatcher(t.server.context, resolveDispatcherOptions({}), quiet);
      const claiming = d.claimItems(Date.now(), 10);
      await new Promise((r) => setTimeout(r, 300));
      // Would wait for the dispatcher's lock on B while it waits for the head: a deadlock.
      const cancelB = await api.query(`update items set status = 'cancelled' where id = $1 and status = 'scheduled'`, [b!.id]);
      await api.query('commit');
      expect(cancelB.rowCount).toBe(1);
      expect(await claiming).toEqual([]);
    } finally {
      await api.end();
    }
  });
});

describe.runIf(TEST_DIALECTS.includes('postgres'))('postgres, two dispatchers on one database', () => {
  it('never lets both publish the same item', async () => {
    const hook = await receiver(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return 200;
    });
    const dispatcher = { publisher: { kind: 'webhook', url: hook.url, secret: SECRET }, allowLoopback: true, pollMs: 50, batchSize: 7, concurrency: 8 } as const;
    const a = await server({ dialect: 'postgres', dispatcher });
    const b: CadenceServer = await createServer({ logger: false, databaseUrl: TEST_DATABASE_URL, pgSchema: a.pgSchema!, dispatcher });
    cleanup.servers.push(b);
    const owners = [dispatcherOf(a.server.context)!.owner, dispatcherOf(b.context)!.owner];
    expect(owners[0]).not.toBe(owners[1]);
    const base = Date.now() + 400;
    const schedule = await createScheduleViaApi(
      a.url,
      a.headers(),
      Array.from({ length: 80 }, (_, i) => ({ scheduled_time: at(base + (i % 10) * 40) })),
    );
    const done = await allSettled(a, schedule.id, 80);
    expect(done.every((i) => i.status === 'published' && i.attempts === 1)).toBe(true);
    const perItem = new Map<string, number>();
    for (const r of hook.received) perItem.set(bodyOf(r).data.id, (perItem.get(bodyOf(r).data.id) ?? 0) + 1);
    expect(perItem.size).toBe(80);
    expect([...perItem.values()].every((n) => n === 1)).toBe(true);
    const published = await a.server.context.storage.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'item.status_changed')
      .execute();
    expect(published.filter((e) => (JSON.parse(e.data) as Item).status === 'published')).toHaveLength(80);
  });
});
