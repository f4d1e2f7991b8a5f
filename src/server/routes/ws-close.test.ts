/**
 * Closing the server while WebSocket clients keep (re)connecting: close must always finish.
 *
 * Fastify runs its own "stop the HTTP server" step before every onClose hook, and that step
 * waits for every socket the server accepted. An upgrade socket is outside Node's HTTP
 * bookkeeping, so one that nobody ends keeps close() waiting forever. Each case puts a client
 * at an exact point of the close sequence (a test hook holds the sequence there), so it
 * fails every time the path is broken instead of once in a while.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, type CadenceServer } from '../app';
import { wsUrl } from '../events/testing';
import { createAccountWithKey } from '../storage/accounts';

/** Far above a healthy close (milliseconds; at most the 1 s terminate of a silent client). */
const STUCK_AFTER_MS = 8000;

function settles(promise: Promise<unknown>): Promise<'settled' | 'stuck'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => 'settled' as const),
    new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), STUCK_AFTER_MS))),
  ]).finally(() => clearTimeout(timer));
}

type Outcome = { kind: 'open'; ws: WebSocket } | { kind: 'refused'; status: number } | { kind: 'error'; message: string };

interface Harness {
  server: CadenceServer;
  url: string;
  apiKey: string;
  /** Runs inside the close sequence, after the WebSocket plugin's preClose. */
  duringClose: (() => Promise<void>) | null;
  /** Runs in every upgrade request after routing, before the route's own checks. */
  duringUpgrade: (() => Promise<void>) | null;
}

const sockets: WebSocket[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A real server (SQLite, its own data dir) whose close sequence and upgrades a test can hold. */
async function harness(): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-ws-close-'));
  const server = await createServer({ dataDir, logger: false, dispatcher: { enabled: false } });
  const h: Harness = { server, url: '', apiKey: '', duringClose: null, duringUpgrade: null };
  // Added before the server is ready; preClose hooks run in order, so this one runs after the
  // WebSocket plugin's, while the listening socket is still open.
  server.app.addHook('preClose', async () => {
    await h.duringClose?.();
  });
  server.app.addHook('preValidation', async (request) => {
    if (request.headers.upgrade) await h.duringUpgrade?.();
  });
  h.apiKey = (await createAccountWithKey(server.context.storage.db)).apiKey;
  h.url = await server.listen(0);
  cleanups.push(async () => {
    // A broken close hangs here too; the test has failed by then, so do not wait for it.
    await settles(server.close());
    rmSync(dataDir, { recursive: true, force: true });
  });
  return h;
}

/** Connects like the app's live connection: header auth; a refused upgrade is dropped at once. */
function attempt(h: Harness): { ws: WebSocket; outcome: Promise<Outcome> } {
  const ws = new WebSocket(wsUrl(h.url, '/ws'), { headers: { authorization: `Bearer ${h.apiKey}` } });
  sockets.push(ws);
  const outcome = new Promise<Outcome>((resolve) => {
    ws.once('open', () => resolve({ kind: 'open', ws }));
    ws.once('unexpected-response', (_request, response) => {
      resolve({ kind: 'refused', status: response.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', (error) => resolve({ kind: 'error', message: error.message }));
  });
  return { ws, outcome };
}

/** The close code the client sees (1006 when the connection just drops). */
function closeCode(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

it('finishes closing when a client asks to upgrade while the server is closing (it is refused with 503)', async () => {
  const h = await harness();
  let seen: Outcome | undefined;
  h.duringClose = async () => {
    seen = await attempt(h).outcome;
  };
  expect(await settles(h.server.close())).toBe('settled');
  expect(seen).toEqual({ kind: 'refused', status: 503 });
});

it('finishes closing when an upgrade was past routing but not yet handed to the WebSocket server as close began', async () => {
  const h = await harness();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const atGate = new Promise<void>((resolve) => (reached = resolve));
  h.duringUpgrade = async () => {
    reached();
    await gate;
  };
  const pending = attempt(h);
  await atGate;
  // The upgrade resumes only after the open live connections were told to go.
  h.duringClose = async () => {
    release();
    await pending.outcome;
  };
  expect(await settles(h.server.close())).toBe('settled');
  const outcome = await pending.outcome;
  // Either its handshake is refused, or it completed and the client was then told to go.
  if (outcome.kind === 'open') expect([1001, 1006]).toContain(await closeCode(outcome.ws));
  else expect(outcome).toEqual({ kind: 'refused', status: 503 });
});

it('finishes closing with live clients connected, telling them why (1001)', async () => {
  const h = await harness();
  const clients = await Promise.all([attempt(h).outcome, attempt(h).outcome]);
  const codes = clients.map((c) => (c.kind === 'open' ? closeCode(c.ws) : Promise.resolve(-1)));
  expect(await settles(h.server.close())).toBe('settled');
  expect(await Promise.all(codes)).toEqual([1001, 1001]);
});
