/** A real core (remote mode) for tests, with fast retry/heartbeat tuning and bridge helpers. */
import { join } from 'node:path';
import { createCore, type CadenceCore, type CoreOptions } from '../core';
import { webHostPorts } from '../web/web-ports';
import { tempDir } from './temp';

export interface ClientCore {
  core: CadenceCore;
  dataDir: string;
  events: Array<{ event: string; payload: unknown }>;
  /** Calls a bridge method; resolves with the value or rejects with the bridge error. */
  call<T = unknown>(method: string, input?: unknown): Promise<T>;
  /** Calls a bridge method; resolves with the raw result envelope. */
  raw(method: string, input?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string; data?: unknown } }>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export const FAST_TUNING: NonNullable<CoreOptions['tuning']> = {
  client: { retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100 }, breaker: { failureThreshold: 50, cooldownMs: 500 }, timeoutMs: 2000 },
  live: { heartbeatMs: 300, heartbeatTimeoutMs: 600, backoff: { baseMs: 30, maxMs: 300 }, offlineAfterMs: 1000 },
  interactiveWaitMs: 1500,
  syncRetry: { baseMs: 30, maxMs: 300 },
};

/** A core as the web host builds it (file secrets, JSON settings, notifications as bridge events). */
export function createTestCore(options: Pick<CoreOptions, 'dataDir' | 'connection' | 'engineProbeIntervalMs' | 'tuning'>): CadenceCore {
  let core: CadenceCore | null = null;
  core = createCore({
    host: 'web',
    version: '0.0.0-test',
    ports: webHostPorts(options.dataDir, () => core?.events ?? null),
    openExternal: async () => false,
    ...options,
  });
  return core;
}

export async function startClientCore(options: {
  apiUrl: string;
  apiKey: string;
  dataDir?: string;
  tuning?: CoreOptions['tuning'];
}): Promise<ClientCore> {
  const dir = options.dataDir ? null : tempDir('cadence-client-');
  const dataDir = options.dataDir ?? join((dir as { path: string }).path, 'data');
  const events: ClientCore['events'] = [];
  const core = createTestCore({
    dataDir,
    connection: { mode: 'remote', apiUrl: options.apiUrl, apiKey: options.apiKey },
    engineProbeIntervalMs: 60_000,
    tuning: options.tuning ?? FAST_TUNING,
  });
  core.events.subscribe((event, payload) => events.push({ event, payload }));
  await core.start();
  const started = core;
  return {
    core: started,
    dataDir,
    events,
    async call<T>(method: string, input: unknown = {}) {
      const result = await started.dispatcher.dispatch(method, input);
      if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error.code}: ${result.error.message}`), { bridge: result.error });
      return result.value as T;
    },
    async raw(method, input = {}) {
      return (await started.dispatcher.dispatch(method, input)) as never;
    },
    async close(closeOptions = {}) {
      await started.stop();
      if (!closeOptions.keepData) dir?.remove();
    },
  };
}

/** Polls until `check` returns a truthy value (or throws after the timeout). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
