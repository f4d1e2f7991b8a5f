/** Service errors as bridge errors: a code the renderer can act on, a message for people. */
import { ApiClientError } from '../../services/api-client/errors';
import type { SchedulingApi } from '../../services/api-client/scheduling-api';
import { CacheError } from '../../services/cache/database';
import { BridgeFailure } from '../errors';

export function toBridgeFailure(error: unknown): BridgeFailure {
  if (error instanceof BridgeFailure) return error;
  if (error instanceof CacheError) return new BridgeFailure('unavailable', error.message);
  if (error instanceof ApiClientError) {
    const details = error.details.length ? error.details : undefined;
    if (error.status === null) {
      return new BridgeFailure(error.code === 'circuit_open' ? 'unavailable' : 'offline', error.message);
    }
    if (error.status === 401) return new BridgeFailure('unauthorized', error.message, details);
    if (error.status === 404) return new BridgeFailure('not_found', error.message, details);
    if (error.status === 409) return new BridgeFailure('conflict', error.message, details);
    if (error.status === 429) {
      return new BridgeFailure('rate_limited', `${error.message}${error.extra.retryAfterMs ? ` (try again in ${Math.ceil(error.extra.retryAfterMs / 1000)} s)` : ''}`);
    }
    if (error.status === 400 || error.status === 422 || error.status === 413) return new BridgeFailure('validation_failed', error.message, details);
    if (error.status >= 500) return new BridgeFailure('unavailable', error.message);
    return new BridgeFailure('internal', error.message, details);
  }
  return new BridgeFailure('internal', error instanceof Error ? error.message : String(error));
}

/** Runs a handler body, turning any service error into a BridgeFailure. */
export async function guarded<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toBridgeFailure(error);
  }
}

/** The client of the engine the app is connected to; `offline` while none is configured. */
export function connectedApi(services: { readonly api: SchedulingApi | null }): SchedulingApi {
  const current = services.api;
  if (!current) throw new BridgeFailure('offline', 'no server is configured (see Settings → Engine connection)');
  return current;
}
