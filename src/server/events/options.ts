/** Knobs of live updates (WebSocket); defaults suit the app, tests pass small values. */
import { DEFAULT_RETENTION, type RetentionOptions } from './retention';

export interface LiveOptions {
  /** Server ping interval; a connection that has not answered the previous ping is terminated. */
  heartbeatMs?: number;
  /** How long a connection may stay unauthenticated (first-message auth). */
  authTimeoutMs?: number;
  /** Bytes the server lets queue on one socket before it waits for the client. */
  maxBufferedBytes?: number;
  /** How long a client may stay over maxBufferedBytes before it is dropped as too slow. */
  drainTimeoutMs?: number;
  /** Live events held in memory per subscription before it reads from the table instead. */
  maxQueuedEvents?: number;
  /** Largest client message accepted (bytes). */
  maxMessageBytes?: number;
  /** Authenticated connections one account may hold at once. */
  maxConnectionsPerAccount?: number;
  retention?: RetentionOptions;
}

export interface ResolvedLiveOptions {
  heartbeatMs: number;
  authTimeoutMs: number;
  maxBufferedBytes: number;
  drainTimeoutMs: number;
  maxQueuedEvents: number;
  maxMessageBytes: number;
  maxConnectionsPerAccount: number;
  retention: Required<RetentionOptions>;
}

export function resolveLiveOptions(options: LiveOptions = {}): ResolvedLiveOptions {
  return {
    heartbeatMs: options.heartbeatMs ?? 30_000,
    authTimeoutMs: options.authTimeoutMs ?? 5_000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    drainTimeoutMs: options.drainTimeoutMs ?? 10_000,
    maxQueuedEvents: options.maxQueuedEvents ?? 1000,
    maxMessageBytes: options.maxMessageBytes ?? 64 * 1024,
    maxConnectionsPerAccount: options.maxConnectionsPerAccount ?? 50,
    retention: {
      maxAgeMs: options.retention?.maxAgeMs ?? DEFAULT_RETENTION.maxAgeMs,
      maxPerAccount: options.retention?.maxPerAccount ?? DEFAULT_RETENTION.maxPerAccount,
      intervalMs: options.retention?.intervalMs ?? DEFAULT_RETENTION.intervalMs,
    },
  };
}
