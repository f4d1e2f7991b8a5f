// The web transport end to end under Node: a real core with its embedded engine, the real web
// host on loopback, and a plain WebSocket client standing in for the browser.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CadenceCore } from '../core';
import { createTestCore } from '../testing/client-core';
import { tempDir } from '../testing/temp';
import { startWebHost, type WebHost } from './web-host';

let core: CadenceCore;
let host: WebHost;
const dir = tempDir();

beforeAll(async () => {
  const rendererDir = join(dir.path, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Cadence</title>');
  const dataDir = join(dir.path, 'data');
  core = createTestCore({ dataDir, connection: { mode: 'embedded' }, engineProbeIntervalMs: 200 });
  await core.start();
  host = await startWebHost({ core, rendererDir, port: 0 });
});

afterAll(async () => {
  await host.close();
  await core.stop();
  dir.remove();
});

function bridgeUrl(token = host.token): string {
  return `${host.origin.replace('http', 'ws')}/bridge?token=${encodeURIComponent(token)}`;
}

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opened. */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.on('error', () => undefined);
  });
}

interface Client {
  call(method: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string; details?: Array<{ path: string }> } }>;
  events: Array<{ event: string; payload: unknown }>;
  close(): void;
}

async function connect(): Promise<Client> {
  const socket = new WebSocket(bridgeUrl(), { origin: host.origin });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let id = 0;
  const waiting = new Map<number, (result: never) => void>();
  const events: Client['events'] = [];
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString());
    if (message.kind === 'result') waiting.get(message.id)?.(message.result as never);
    else events.push({ event: message.event, payload: message.payload });
  });
  return {
    call(method, input) {
      const callId = ++id;
      socket.send(JSON.stringify({ kind: 'call', id: callId, method, input }));
      return new Promise((resolve) => waiting.set(callId, resolve));
    },
    events,
    close: () => socket.close(),
  };
}

describe('web host', () => {
  it('serves the renderer with a strict CSP', async () => {
    const response = await fetch(`${host.origin}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Cadence</title>');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
  });

  it('refuses a bridge socket from another origin', async () => {
    expect(await upgradeStatus(bridgeUrl(), 'http://evil.example')).toBe(403);
    expect(await upgradeStatus(bridgeUrl(), undefined)).toBe(403);
  });

  it('refuses a bridge socket without the launch token or with a wrong one', async () => {
    expect(await upgradeStatus(`${host.origin.replace('http', 'ws')}/bridge`, host.origin)).toBe(401);
    expect(await upgradeStatus(bridgeUrl('x'.repeat(host.token.length)), host.origin)).toBe(401);
    expect(await upgradeStatus(bridgeUrl(), host.origin)).toBe(101);
  });

  it('answers calls, and names the field when a payload fails its schema', async () => {
    const client = await connect();
    const info = await client.call('app.info', {});
    expect(info).toMatchObject({ ok: true, value: { name: 'Cadence', host: 'web', version: '0.0.0-test' } });
    const bad = await client.call('settings.update', { theme: 'purple' });
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe('validation_failed');
    expect(bad.error?.details?.[0]?.path).toBe('theme');
    client.close();
  });

  it('closes the socket on garbage instead of crashing', async () => {
    const socket = new WebSocket(bridgeUrl(), { origin: host.origin });
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('{not json');
    expect(await closed).toBe(1007);
    const again = await connect();
    expect((await again.call('engine.status', {})).ok).toBe(true);
    again.close();
  });

  it('pushes engine status changes as events: stop → offline, start → connected', async () => {
    const client = await connect();
    const stopped = await client.call('engine.stop', {});
    expect(stopped).toMatchObject({ ok: true, value: { state: 'offline', mode: 'embedded' } });
    const started = await client.call('engine.start', {});
    expect(started).toMatchObject({ ok: true, value: { state: 'connected', version: expect.any(String) } });
    const states = client.events.filter((e) => e.event === 'engine.status').map((e) => (e.payload as { state: string }).state);
    // Exactly one offline, saying why: a probe cut by the stop must not report first.
    expect(states).toEqual(['offline', 'connected']);
    expect(client.events.find((e) => e.event === 'engine.status')?.payload).toMatchObject({ reason: 'engine is not running' });
    client.close();
  });
});
