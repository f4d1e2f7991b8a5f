/** connection.* (switch embedded/remote without a restart, test a remote) and sync.*. */
import { HttpClient } from '../../services/api-client/http-client';
import { ApiClientError } from '../../services/api-client/errors';
import { SchedulingApi } from '../../services/api-client/scheduling-api';
import { MissingApiKey, SecretStoreUnavailable } from '../../services/connection/connection-manager';
import type { MainServices } from '../../services/main-services';
import type { Clock } from '../../ports';
import type { BridgeHandlers } from '../dispatcher';
import type { BridgeEventHub } from '../event-hub';
import { BridgeFailure } from '../errors';

type ConnectionMethods = 'connection.get' | 'connection.update' | 'connection.test' | 'sync.status' | 'sync.now';

export function connectionHandlers(
  services: MainServices,
  clock: Clock,
  events: BridgeEventHub,
  /** Called after the mode changed (the engine monitor follows). */
  onModeChange: () => Promise<void>,
): Pick<BridgeHandlers, ConnectionMethods> {
  return {
    'connection.get': () => services.connection.info(),

    'connection.update': async (update) => {
      try {
        await services.connection.switchTo(update);
      } catch (error) {
        if (error instanceof SecretStoreUnavailable) throw new BridgeFailure('unavailable', `cannot store the API key safely: ${error.message}`);
        if (error instanceof MissingApiKey) throw new BridgeFailure('validation_failed', error.message, [{ path: 'apiKey', message: 'required' }]);
        throw error;
      }
      await onModeChange();
      try {
        await services.connect();
      } catch (error) {
        throw new BridgeFailure('unavailable', `switched, but cannot connect yet: ${error instanceof Error ? error.message : String(error)}`);
      }
      const info = await services.connection.info();
      events.emit('connection.changed', info);
      return info;
    },

    'connection.test': async ({ apiUrl, apiKey, signingSecret }) => {
      const http = new HttpClient({ baseUrl: apiUrl, apiKey, signingSecret: signingSecret ?? null, clock, timeoutMs: 5000, retry: { maxAttempts: 1 } });
      const api = new SchedulingApi(http);
      try {
        const health = await api.health(false);
        // Proves the key (and the signature) too, not only that something answers.
        await api.platforms();
        return { ok: true, version: health.version, message: `connected to Cadence API ${health.version}` };
      } catch (error) {
        if (error instanceof ApiClientError) {
          const hint = error.status === 401 ? 'the API key (or signing secret) was refused' : error.message;
          return { ok: false, message: hint };
        }
        return { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
    },

    'sync.status': () => services.sync.status(),
    'sync.now': () => services.sync.syncNow(),
  };
}
