import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerEvent } from '../../shared/api/events';
import { createServer, type CadenceServer } from '../app';
import { pruneEvents } from '../events/retention';
import { connect, emitEvents, insertSchedule, wsUrl, type RecordingClient } from '../events/testing';
import { forEachDialect, startTestServer, TEST_DATABASE_URL, TEST_DIALECTS, type TestServer } from '../testing/servers';

const seqs = (events: ServerEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

forEachDialect((dialect) => {
  let t: TestServer | undefined;
  const clients: RecordingClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await t?.close();
    t = undefined;
  });
  const open = async (path: string, options: WebSocket.ClientOptions = {}) => {
    const c = await connect(wsUrl(t!.url, path), options);
    clients.push(c);
    return c;
  };
  const auth = () => ({ headers: { authorization: `Bearer ${t!.apiKey}` } });

  it('replays, follows live, and after a reconnect with since delivers every event exactly once, in order', async () => {
    t = await startTestServer({ dialect, logger: process.env.WS_DEBUG ? { level: 'warn' } : false });
    const server = t.server;
    await emitEvents(server, t.accountId, 5);

    const first = await open('/ws', auth());
    await first.waitFor((m) => m.type === 'authenticated');
    first.send({ type: 'subscribe', schedules: ['*'], since: 0 });
    await first.waitFor((m) => m.type === 'subscribed');
    // Writes racing the replay/live boundary of a second subscriber.
    const racing = emitEvents(server, t.accountId, 40);
    const second = await open('/ws', auth());
    second.send({ type: 'subscribe', schedules: ['*'], since: 3 });
    await racing;
    expect(seqs(await first.waitForEvents(45))).toEqual(range(1, 45));
    expect(seqs(await second.waitForEvents(42))).toEqual(range(4, 45));

    // Disconnect; events happen meanwhile; reconnect with the last seen seq.
    const lastSeen = first.events().at(-1)!.seq;
    await first.close();
    await emitEvents(server, t.accountId, 7);
    const again = await open('/ws', auth());
    again.send({ type: 'subscribe', schedules: ['*'], since: lastSeen });
    const subscribed = await again.waitFor((m) => m.type === 'subscribed');
    expect(subscribed).toMatchObject({ head_seq: 52 });
    await emitEvents(server, t.accountId, 3);
    expect(seqs(await again.waitForEvents(10))).toEqual(range(46, 55));
    await new Promise((r) => setTimeout(r, 100));
    expect(again.events()).toHaveLength(10);
    expect(seqs(second.events())).toEqual(range(4, 55));
  });

  it('keeps seq order when events are published out of commit order or by concurrent writers', async () => {
    t = await startTestServer({ dialect });
    const { appendEvent } = await import('../events/log');
    const db = t.server.context.storage.db;
    const c = await open('/ws', auth());
    c.send({ type: 'subscribe', schedules: ['*'] });
    await c.waitFor((m) => m.type === 'subscribed');
    const append = () =>
      db.transaction().execute((trx) => appendEvent(trx, t!.accountId, { type: 'schedule.updated', schedule_id: null, data: {} }));
    const [e1, e2, e3] = [await append(), await append(), await append()];
    // The last commit is announced first: the stream fills the gap from the table.
    t.server.context.events.publish(t.accountId, [e3!]);
    t.server.context.events.publish(t.accountId, [e1!]);
    t.server.context.events.publish(t.accountId, [e2!]);
    expect(seqs(await c.waitForEvents(3))).toEqual([1, 2, 3]);
    await Promise.all([emitEvents(t.server, t.accountId, 15), emitEvents(t.server, t.accountId, 15), emitEvents(t.server, t.accountId, 15)]);
    expect(seqs(await c.waitForEvents(48))).toEqual(range(1, 48));
    await new Promise((r) => setTimeout(r, 50));
    expect(c.events()).toHaveLength(48);
  });

  it('authenticates by first message, filters by schedule, and streams /ws/schedules/{id}', async () => {
    t = await startTestServer({ dialect });
    const a = await insertSchedule(t.server, t.accountId);
    const b = await insertSchedule(t.server, t.accountId);
    const c = await open('/ws');
    c.send({ type: 'subscribe', schedules: ['*'] });
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'unauthorized' });
    c.send({ type: 'auth', token: t.apiKey });
    await c.waitFor((m) => m.type === 'authenticated');
    c.send({ type: 'subscribe', schedules: [b] });
    await c.waitFor((m) => m.type === 'subscribed');

    const one = await open(`/ws/schedules/${a}`);
    one.send({ type: 'auth', token: t.apiKey });
    await one.waitFor((m) => m.type === 'subscribed');

    await emitEvents(t.server, t.accountId, 2, a);
    const inB = await emitEvents(t.server, t.accountId, 2, b);
    await emitEvents(t.server, t.accountId, 1, a);
    expect(seqs(await c.waitForEvents(2))).toEqual(seqs(inB));
    expect((await one.waitForEvents(3)).map((e) => e.schedule_id)).toEqual([a, a, a]);

    // Replay of one schedule with ?since=.
    const replay = await open(`/ws/schedules/${a}?since=1`, auth());
    expect(seqs(await replay.waitForEvents(2))).toEqual([2, 5]);
  });

  it("hides another account's schedule (404) and rejects bad credentials", async () => {
    t = await startTestServer({ dialect, live: { authTimeoutMs: 300 } });
    const other = await t.createAccount();
    const theirs = await insertSchedule(t.server, other.accountId);
    await expect(open(`/ws/schedules/${theirs}`, auth())).rejects.toThrow(/404/);
    await expect(open('/ws', { headers: { authorization: 'Bearer cad_wrong' } })).rejects.toThrow(/401/);

    const byMessage = await open(`/ws/schedules/${theirs}`);
    byMessage.send({ type: 'auth', token: t.apiKey });
    expect(await byMessage.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'not_found' });
    expect((await byMessage.closed).code).toBe(4404);

    const wrong = await open('/ws');
    wrong.send({ type: 'auth', token: 'cad_nope' });
    expect((await wrong.closed).code).toBe(4401);

    const plain = await fetch(`${t.url}/ws`);
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as { error: { message: string } }).error.message).toMatch(/WebSocket/);

    const silent = await open('/ws');
    const closed = await silent.closed;
    expect(closed.code).toBe(4401);
    expect(silent.messages[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('answers an Upgrade to a route that does not speak WebSocket over HTTP, then closes the socket', async () => {
    t = await startTestServer({ dialect });
    const { connect: connectTcp } = await import('node:net');
    const { port } = new URL(t.url);
    const upgradeTo = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connectTcp(Number(port), '127.0.0.1');
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (received += chunk));
        // Resolves only when the server closes the socket: a socket left open fails by timeout.
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
      });
    const health = await upgradeTo('/health');
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
    expect(health).toMatch(/x-request-id: req_/i);
    expect(health).toContain('"status":"healthy"');
    expect(await upgradeTo('/no/such/route')).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('answers garbage with errors and keeps the connection usable', async () => {
    t = await startTestServer({ dialect });
    const c = await open('/ws', auth());
    await c.waitFor((m) => m.type === 'authenticated');
    c.send('not json {');
    c.send({ type: 'subscribe', schedules: 'all' });
    c.send({ type: 'launch_missiles' });
    c.send([1, 2, 3]);
    c.ws.send(Buffer.from([0, 1, 2]), { binary: true });
    c.send({ type: 'subscribe', schedules: ['*'], since: -4 });
    c.send({ type: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(6);
    for (const e of errors) expect(e).toMatchObject({ code: 'validation_failed' });
    c.send({ type: 'subscribe', schedules: ['*'], since: 0 });
    await c.waitFor((m) => m.type === 'subscribed');
    await emitEvents(t.server, t.accountId, 2);
    expect(seqs(await c.waitForEvents(2))).toEqual([1, 2]);
  });

  it('asks for a resync when since is older than retention', async () => {
    t = await startTestServer({ dialect });
    await emitEvents(t.server, t.accountId, 10);
    expect(await pruneEvents(t.server.context.storage.db, Date.now(), { maxPerAccount: 4 })).toBe(6);
    const c = await open('/ws', auth());
    c.send({ type: 'subscribe', schedules: ['*'], since: 2 });
    expect(await c.waitFor((m) => m.type === 'resync_required')).toMatchObject({ head_seq: 10, oldest_seq: 7 });
    await c.waitFor((m) => m.type === 'subscribed');
    await emitEvents(t.server, t.accountId, 1);
    expect(seqs(await c.waitForEvents(1))).toEqual([11]);
    // A client ahead of the server (restored from an older backup) must resync too.
    const ahead = await open('/ws', auth());
    ahead.send({ type: 'subscribe', schedules: ['*'], since: 500 });
    expect(await ahead.waitFor((m) => m.type === 'resync_required')).toMatchObject({ head_seq: 11, oldest_seq: 7 });
    // Still within retention: a normal replay.
    const d = await open('/ws', auth());
    d.send({ type: 'subscribe', schedules: ['*'], since: 6 });
    expect(seqs(await d.waitForEvents(5))).toEqual([7, 8, 9, 10, 11]);
  });

  it('ends a connection whose key is revoked, and caps connections per account', async () => {
    t = await startTestServer({ dialect, live: { heartbeatMs: 100, maxConnectionsPerAccount: 2 } });
    const a = await open('/ws', auth());
    await a.waitFor((m) => m.type === 'authenticated');
    const b = await open('/ws');
    b.send({ type: 'auth', token: t.apiKey });
    await b.waitFor((m) => m.type === 'authenticated');
    const c = await open('/ws', auth());
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'rate_limited' });
    expect((await c.closed).code).toBe(4429);

    await t.server.context.storage.db.updateTable('api_keys').set({ revoked_at: new Date().toISOString() }).execute();
    for (const client of [a, b]) {
      expect((await client.closed).code).toBe(4401);
      expect(client.messages.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
    }
  });

  it('terminates a connection that stops answering pings', async () => {
    t = await startTestServer({ dialect, live: { heartbeatMs: 100 } });
    const mute = await open('/ws', { ...auth(), autoPong: false });
    const healthy = await open('/ws', auth());
    const closed = await mute.closed;
    expect(closed.code).toBe(1006);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('drops a consumer that stops reading instead of buffering without bound', async () => {
    t = await startTestServer({ dialect, live: { maxBufferedBytes: 64 * 1024, drainTimeoutMs: 300, heartbeatMs: 60_000 } });
    const slow = await open('/ws', auth());
    slow.send({ type: 'subscribe', schedules: ['*'] });
    await slow.waitFor((m) => m.type === 'subscribed');
    // Stop reading from the TCP socket: the kernel buffers fill, then the server's.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(48 * 1024);
    const db = t.server.context.storage.db;
    const { appendEvent } = await import('./../events/log');
    for (let i = 0; i < 60 && slow.ws.readyState === WebSocket.OPEN; i++) {
      const events = await db.transaction().execute(async (trx) => {
        const out = [];
        for (let j = 0; j < 10; j++) out.push(await appendEvent(trx, t!.accountId, { type: 'schedule.updated', schedule_id: null, data: { big } }));
        return out;
      });
      t.server.context.events.publish(t.accountId, events);
      await new Promise((r) => setTimeout(r, 20));
    }
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(1006);
  });
});

describe.runIf(TEST_DIALECTS.includes('sqlite'))('server restart', () => {
  it('a client that reconnects with since after the server restarted misses nothing', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createAccountWithKey } = await import('../storage/accounts');
    const dataDir = mkdtempSync(join(tmpdir(), 'cadence-ws-restart-'));
    let first: CadenceServer | undefined;
    let second: CadenceServer | undefined;
    try {
      first = await createServer({ logger: false, dataDir });
      const { apiKey, accountId } = await createAccountWithKey(first.context.storage.db);
      const url = await first.listen(0);
      const c = await connect(wsUrl(url, '/ws'), { headers: { authorization: `Bearer ${apiKey}` } });
      c.send({ type: 'subscribe', schedules: ['*'], since: 0 });
      await c.waitFor((m) => m.type === 'subscribed');
      await emitEvents(first, accountId, 3);
      await c.waitForEvents(3);
      await first.close();
      expect((await c.closed).code).toBe(1001);

      second = await createServer({ logger: false, dataDir });
      await emitEvents(second, accountId, 4);
      const url2 = await second.listen(0);
      const again = await connect(wsUrl(url2, '/ws'), { headers: { authorization: `Bearer ${apiKey}` } });
      again.send({ type: 'subscribe', schedules: ['*'], since: c.events().at(-1)!.seq });
      expect(seqs(await again.waitForEvents(4))).toEqual([4, 5, 6, 7]);
      again.ws.terminate();
    } finally {
      await second?.close();
      await first?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(TEST_DIALECTS.includes('postgres'))('postgres, two server processes', () => {
  let a: TestServer | undefined;
  let b: CadenceServer | undefined;
  afterEach(async () => {
    await b?.close();
    await a?.close();
  });

  it("delivers events committed by another server on the same database", async () => {
    a = await startTestServer({ dialect: 'postgres' });
    b = await createServer({ logger: false, databaseUrl: TEST_DATABASE_URL, pgSchema: a.pgSchema! });
    const c = await connect(wsUrl(a.url, '/ws'), { headers: { authorization: `Bearer ${a.apiKey}` } });
    try {
      c.send({ type: 'subscribe', schedules: ['*'], since: 0 });
      await c.waitFor((m) => m.type === 'subscribed');
      await emitEvents(b, a.accountId, 20);
      await emitEvents(a.server, a.accountId, 5);
      await emitEvents(b, a.accountId, 5);
      expect(seqs(await c.waitForEvents(30))).toEqual(range(1, 30));

      // Cut the listening connection: what is committed meanwhile is read on reconnect.
      const pg = (await import('pg')).default;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`cadence-live ${a.pgSchema}`]);
        // Both servers listen under this schema; cut both.
        expect(killed.rowCount).toBe(2);
      } finally {
        await admin.end();
      }
      await emitEvents(b, a.accountId, 5);
      expect(seqs(await c.waitForEvents(35))).toEqual(range(1, 35));
    } finally {
      c.ws.terminate();
    }
  });
});
