import { describe, expect, it } from 'vitest';
import { createDispatcher, type BridgeHandlers } from './dispatcher';
import { BridgeFailure } from './errors';

const status = { state: 'offline' as const, mode: 'embedded' as const, url: null, since: '2026-01-01T00:00:00.000Z', reason: 'stopped' };
let settings = {
  theme: 'system' as 'system' | 'light' | 'dark',
  displayTimeZone: null as string | null,
  notifications: { enabled: true, published: true, failed: true, dueSoonMinutes: 15 },
};

const handlers = {
  'app.info': () => ({ name: 'Cadence', version: '1.0.0', host: 'web', dataDir: '/tmp/x' }),
  'engine.status': () => status,
  'engine.stop': () => status,
  'engine.start': () => {
    throw new BridgeFailure('unavailable', 'engine cannot start', [{ path: 'port', message: 'in use' }]);
  },
  'settings.get': () => settings,
  'settings.update': (patch) => (settings = { ...settings, ...patch, notifications: patch.notifications ?? settings.notifications }),
  // Returns something the contract forbids, to prove outputs are checked too.
  'system.openExternal': () => ({ opened: 'yes' }) as unknown as { opened: boolean },
} as Partial<BridgeHandlers> as BridgeHandlers;

describe('bridge dispatcher', () => {
  const dispatcher = createDispatcher(handlers);

  it('answers a valid call with ok and the value', async () => {
    await expect(dispatcher.dispatch('settings.update', { theme: 'dark' })).resolves.toEqual({
      ok: true,
      value: { theme: 'dark', displayTimeZone: null, notifications: settings.notifications },
    });
  });

  it('rejects input that fails the schema with a typed error naming the field', async () => {
    const result = await dispatcher.dispatch('settings.update', { theme: 'purple' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('validation_failed');
    expect(result.error.details?.[0]?.path).toBe('theme');
    expect(result.error.message).toContain('theme');
  });

  it('names nested and unknown fields too', async () => {
    const tz = await dispatcher.dispatch('settings.update', { displayTimeZone: 'Mars/Olympus' });
    expect(!tz.ok && tz.error.details?.[0]?.path).toBe('displayTimeZone');
    const extra = await dispatcher.dispatch('settings.update', { theme: 'dark', evil: true });
    expect(!extra.ok && extra.error.code).toBe('validation_failed');
  });

  it('refuses unknown methods and prototype keys', async () => {
    for (const name of ['nope', '__proto__', 'constructor', 42, null]) {
      const result = await dispatcher.dispatch(name, {});
      expect(!result.ok && result.error.code).toBe('unknown_method');
    }
  });

  it('turns a handler failure into data, keeping its code and details', async () => {
    const result = await dispatcher.dispatch('engine.start', {});
    expect(result).toEqual({ ok: false, error: { code: 'unavailable', message: 'engine cannot start', details: [{ path: 'port', message: 'in use' }] } });
  });

  it('checks its own outputs against the contract', async () => {
    const result = await dispatcher.dispatch('system.openExternal', { url: 'https://example.com' });
    expect(!result.ok && result.error.code).toBe('internal');
  });
});
