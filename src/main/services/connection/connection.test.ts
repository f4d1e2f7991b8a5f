// Embedded by default with a key made on first run and kept in the SecretStore; switching to a
// remote server and back without a restart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CadenceCore } from '../../core';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { FAST_TUNING, createTestCore, waitFor } from '../../testing/client-core';
import { tempDir } from '../../testing/temp';

const dir = tempDir('cadence-conn-');
const dataDir = join(dir.path, 'data');
let remote: ApiServer;

function makeCore(): CadenceCore {
  return createTestCore({ dataDir, connection: { mode: 'embedded' }, engineProbeIntervalMs: 200, tuning: FAST_TUNING });
}

async function call<T>(core: CadenceCore, method: string, input: unknown = {}): Promise<T> {
  const result = await core.dispatcher.dispatch(method, input);
  if (!result.ok) throw new Error(`${method}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

const secrets = () => JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
const titles = async (core: CadenceCore) => (await call<{ data: Array<{ title: string }> }>(core, 'schedules.list')).data.map((s) => s.title);

beforeAll(async () => {
  remote = await startApiServer();
  await remote.send('POST', '/api/v1/scheduling/calendar', { title: 'Remote plan', items: [{ content_id: 'r', platform: 'tiktok', scheduled_time: '2030-05-01T10:00:00Z' }] });
});
afterAll(async () => {
  await remote.close();
  dir.remove();
});

describe('connection', () => {
  it('creates the embedded key on first run, reuses it after a restart, and switches servers live', async () => {
    let core = makeCore();
    await core.start();
    const key = secrets()['embedded.apiKey'];
    expect(key).toMatch(/^cad_/);
    expect(await call(core, 'connection.get')).toMatchObject({ mode: 'embedded', hasApiKey: true });
    await call(core, 'schedules.create', { title: 'Local plan', items: [{ content_id: 'l', platform: 'youtube', scheduled_time: '2030-05-02T10:00:00Z' }] });
    expect(await titles(core)).toEqual(['Local plan']);
    await core.stop();

    core = makeCore();
    await core.start();
    expect(secrets()['embedded.apiKey']).toBe(key);
    await waitFor(async () => (await titles(core)).includes('Local plan'), 5000, 'embedded data after restart');

    // To the remote server: its calendar replaces the embedded one in the cache, no restart.
    const info = await call<{ mode: string; apiUrl: string; hasApiKey: boolean }>(core, 'connection.update', { mode: 'remote', apiUrl: remote.url, apiKey: remote.apiKey });
    expect(info).toMatchObject({ mode: 'remote', apiUrl: remote.url, hasApiKey: true });
    expect(secrets()['remote.apiKey']).toBe(remote.apiKey);
    await waitFor(async () => JSON.stringify(await titles(core)) === JSON.stringify(['Remote plan']), 5000, 'remote calendar');
    await waitFor(() => core.services.sync.status().live === 'live', 5000, 'live on remote');
    expect((await call<{ state: string; mode: string }>(core, 'engine.status')).mode).toBe('remote');

    // And back.
    await call(core, 'connection.update', { mode: 'embedded' });
    await waitFor(async () => JSON.stringify(await titles(core)) === JSON.stringify(['Local plan']), 5000, 'embedded calendar again');
    expect(secrets()['embedded.apiKey']).toBe(key);
    await core.stop();
  });

  it('talks to a server that requires signed requests once the signing secret is given', async () => {
    const signed = await startApiServer({ signingSecret: true });
    try {
      const body = { title: 'Signed plan', items: [{ content_id: 's', platform: 'tiktok', scheduled_time: '2030-05-03T10:00:00Z' }] };
      const timestamp = String(Date.now());
      const { signRequest } = await import('../api-client/http-client');
      const seeded = await signed.send('POST', '/api/v1/scheduling/calendar', body, {
        'x-timestamp': timestamp,
        'x-signature': signRequest(signed.signingSecret as string, 'POST', '/api/v1/scheduling/calendar', JSON.stringify(body), timestamp),
      });
      expect(seeded.status).toBe(201);
      const core = makeCore();
      await core.start();
      const info = await call<{ hasSigningSecret: boolean }>(core, 'connection.update', {
        mode: 'remote',
        apiUrl: signed.url,
        apiKey: signed.apiKey,
        signingSecret: signed.signingSecret,
      });
      expect(info.hasSigningSecret).toBe(true);
      await waitFor(async () => (await titles(core)).includes('Signed plan'), 5000, 'signed calendar');
      const created = await call<{ queued: boolean }>(core, 'schedules.create', { title: 'Made here', items: [{ content_id: 'm', platform: 'youtube', scheduled_time: '2030-05-04T10:00:00Z' }] });
      expect(created.queued).toBe(false);
      // Without the secret the same key is refused.
      expect(await call(core, 'connection.test', { apiUrl: signed.url, apiKey: signed.apiKey })).toMatchObject({ ok: false });
      await call(core, 'connection.update', { mode: 'remote', apiUrl: signed.url, signingSecret: null });
      expect((await call<{ hasSigningSecret: boolean }>(core, 'connection.get')).hasSigningSecret).toBe(false);
      await call(core, 'connection.update', { mode: 'embedded' });
      await core.stop();
    } finally {
      await signed.close();
    }
  });

  it('refuses remote mode without a key', async () => {
    const core = makeCore();
    await core.start();
    const result = await core.dispatcher.dispatch('connection.update', { mode: 'remote', apiUrl: 'http://127.0.0.1:1' });
    // A key is stored from the previous test, so this keeps it; a fresh dir would refuse.
    expect(result.ok).toBe(true);
    await call(core, 'connection.update', { mode: 'embedded' });
    await core.stop();
  });
});
