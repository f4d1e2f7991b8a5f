// The engine monitor against real sockets: a server that resets connections, then none at all
// (refused), then the real API on the same port.
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { EngineMode, EngineStatus } from '../../../shared/bridge';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { waitFor } from '../../testing/client-core';
import { EngineMonitor } from './engine-monitor';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function resettingServer(): Promise<{ server: Server; port: number }> {
  // Accepts and drops every connection: what a client sees of a server killed mid-request.
  const server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** A started monitor probing every 50 ms, stopped after the test; `changes` collects what it reported. */
function startedMonitor(mode: EngineMode, baseUrl: () => string | null, timeoutMs: number): { monitor: EngineMonitor; changes: EngineStatus[] } {
  const changes: EngineStatus[] = [];
  const monitor = new EngineMonitor({ mode, clock: { now: () => Date.now() }, intervalMs: 50, timeoutMs, baseUrl, onChange: (status) => changes.push(status) });
  monitor.start();
  cleanups.push(() => monitor.stop());
  return { monitor, changes };
}

/** The reported changes, offline ones with their reason. */
function described(changes: EngineStatus[]): string[] {
  return changes.map((change) => (change.state === 'offline' ? `offline: ${change.reason}` : change.state));
}

it('names a reset and a refusal, keeps the first offline moment, and reconnects', async () => {
  const { server, port } = await resettingServer();
  const { monitor, changes } = startedMonitor('remote', () => `http://127.0.0.1:${port}`, 1000);

  await waitFor(() => monitor.current.state === 'offline', 5000, 'offline');
  const reset = monitor.current;
  expect(reset).toMatchObject({ state: 'offline', reason: 'connection reset' });

  server.close();
  await once(server, 'close');
  await waitFor(() => monitor.current.state === 'offline' && monitor.current.reason === 'connection refused', 5000, 'refused');
  // Still the same outage: the moment it began is kept.
  expect(monitor.current.since).toBe(reset.since);

  const api: ApiServer = await startApiServer({ port });
  cleanups.push(() => api.close());
  await waitFor(() => monitor.current.state === 'connected', 5000, 'connected');
  expect(described(changes)).toEqual([
    'offline: connection reset',
    'offline: connection refused',
    'connected',
  ]);
});

it('drops the answer of a probe whose engine went away meanwhile, and reports what is true now', async () => {
  // /health hangs; the engine is then "stopped" (no URL) and its socket cut under the probe.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  let url: string | null = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { monitor, changes } = startedMonitor('embedded', () => url, 5000);
  await waitFor(() => sockets.size > 0, 5000, 'the probe reached the engine');

  url = null;
  for (const socket of sockets) socket.destroy();
  const status = await monitor.checkNow();
  expect(status).toMatchObject({ state: 'offline', url: null, reason: 'engine is not running' });
  expect(described(changes)).toEqual([
    'offline: engine is not running',
  ]);
});
