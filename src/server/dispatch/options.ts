/** Knobs of the dispatcher (docs/live-and-dispatch.md); defaults suit the app, tests shrink them. */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

export type PublisherConfig =
  /** The item becomes due and the user is told to post it by hand (the app's default). */
  | { kind: 'reminder' }
  /** POST the item to `url`, signed the Standard Webhooks way with `secret` (`whsec_…` base64, or raw text). */
  | { kind: 'webhook'; url: string; secret: string; previousSecret?: string | null };

export interface DispatcherOptions {
  /** Default true: the server fires due items. */
  enabled?: boolean;
  /** Longest sleep between scans; due times known in advance wake it exactly. */
  pollMs?: number;
  /** How long a claim is held without renewal; a dead process's items are reclaimed after it. */
  leaseMs?: number;
  /** Items (and callbacks) claimed per scan. */
  batchSize?: number;
  /** Deliveries in flight at once in this process. */
  concurrency?: number;
  publisher?: PublisherConfig;
  /** Allow outbound requests to loopback (127.0.0.0/8, ::1): local receivers and tests. */
  allowLoopback?: boolean;
  /** item.due_soon is sent this long before an item is due (0 turns it off). */
  dueSoonMs?: number;
  /** Exponential backoff between attempts of one delivery. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Attempts of an on_published/on_failed callback before it is given up. */
  callbackMaxAttempts?: number;
  /** Signs callbacks (Standard Webhooks) when set; webhook-id and webhook-timestamp are always sent. */
  callbackSecret?: string;
  requestTimeoutMs?: number;
  /** How long shutdown waits for deliveries in flight before aborting them. */
  shutdownGraceMs?: number;
  /** Lease owner id; unique per process by default. */
  owner?: string;
}

export interface ResolvedDispatcherOptions {
  enabled: boolean;
  pollMs: number;
  leaseMs: number;
  batchSize: number;
  concurrency: number;
  publisher: PublisherConfig;
  allowLoopback: boolean;
  dueSoonMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  callbackMaxAttempts: number;
  callbackSecret: string | null;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  owner: string;
}

export function resolveDispatcherOptions(options: DispatcherOptions = {}): ResolvedDispatcherOptions {
  const leaseMs = options.leaseMs ?? 60_000;
  return {
    enabled: options.enabled ?? true,
    pollMs: options.pollMs ?? 1000,
    leaseMs,
    batchSize: options.batchSize ?? 500,
    concurrency: options.concurrency ?? 32,
    publisher: options.publisher ?? { kind: 'reminder' },
    allowLoopback: options.allowLoopback ?? false,
    dueSoonMs: options.dueSoonMs ?? 15 * 60_000,
    retryBaseMs: options.retryBaseMs ?? 5_000,
    retryMaxMs: options.retryMaxMs ?? 10 * 60_000,
    callbackMaxAttempts: options.callbackMaxAttempts ?? 10,
    callbackSecret: options.callbackSecret ?? null,
    // A request must end well inside the lease, or another process could reclaim mid-request.
    requestTimeoutMs: Math.min(options.requestTimeoutMs ?? 15_000, Math.floor(leaseMs / 2)),
    shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
    owner: options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
  };
}

/** Delay before attempt `attempts + 1`, doubling from base up to max, with jitter in its upper half. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
