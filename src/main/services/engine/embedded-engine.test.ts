/**
 * Stop/start of the embedded engine while the app's own clients are busy with it: the live
 * connection reconnecting with a short backoff and keep-alive fetches. Every stop must finish
 * closing the server; the safety net of stop() is pushed past the test timeout so that a close
 * that never finishes fails the test instead of being waited out and abandoned.
 * (The exact races are pinned down deterministically in src/server/routes/ws-close.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createAccountWithKey } from '../../../server/storage/accounts';
import { LiveConnection, type LiveState } from '../live/live-connection';
import { EmbeddedEngine } from './embedded-engine';

const CYCLES = 60;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it(`finishes every stop across ${CYCLES} stop/start cycles with a reconnecting live connection and keep-alive fetches`, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-engine-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const engine = new EmbeddedEngine({ dataDir, closeGraceMs: 600_000 });
  cleanups.push(() => engine.stop());

  let url = await engine.start();
  const { apiKey } = await createAccountWithKey(engine.instance!.context.storage.db);
  const states: LiveState[] = [];
  const live = new LiveConnection({
    url: () => (engine.url ? `${engine.url.replace(/^http/, 'ws')}/ws` : null),
    token: async () => apiKey,
    since: () => 0,
    onEvents: () => undefined,
    onResyncRequired: async () => undefined,
    onState: (state) => states.push(state),
    clock: { now: () => Date.now() },
    // Reconnect almost at once, so attempts keep landing inside the close sequence.
    backoff: { baseMs: 20, maxMs: 100 },
  });
  live.start();
  cleanups.push(() => live.stop());

  let fetching = true;
  let answered = 0;
  const fetchLoop = async () => {
    while (fetching) {
      try {
        const response = await fetch(`${url}/api/v1/scheduling/platforms`, { headers: { authorization: `Bearer ${apiKey}` } });
        await response.text();
        if (response.ok) answered += 1;
      } catch {
        // Refused or reset while the engine is down: the next cycle tries again.
      }
      await sleep(3);
    }
  };
  const fetchers = [fetchLoop(), fetchLoop()];
  cleanups.push(async () => {
    fetching = false;
    await Promise.all(fetchers);
  });

  for (let cycle = 0; cycle < CYCLES; cycle += 1) {
    // Stop at spread-out moments relative to the reconnects and requests of this cycle.
    await sleep((cycle * 7) % 60);
    await engine.stop();
    expect(engine.running).toBe(false);
    url = await engine.start();
  }
  expect(answered).toBeGreaterThan(0);
  expect(states).toContain('live');
});
