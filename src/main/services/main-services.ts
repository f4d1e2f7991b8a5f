/**
 * The main-process services wired together (no Electron): cache, outbox, API client, sync with
 * its live connection, notifications and the activity feed. Built once by the composition
 * root; `connect()` (re)points everything at the current connection without a restart.
 */
import { join } from 'node:path';
import type { ServerEvent } from '../../shared/api/events';
import { OptimizationResultSchema, type OptimizationResult } from '../../shared/api/resources';
import type { BridgeEventName, BridgeEventPayload, Settings } from '../../shared/bridge';
import type { HostPorts } from '../ports';
import { describeEvent } from './activity/activity';
import { HttpClient, type HttpClientOptions } from './api-client/http-client';
import { SchedulingApi } from './api-client/scheduling-api';
import { CacheStore } from './cache/cache-store';
import { openCacheDatabase } from './cache/database';
import { ConnectionManager, type ResolvedConnection } from './connection/connection-manager';
import type { EmbeddedEngine } from './engine/embedded-engine';
import { NotificationService } from './notifications/notification-service';
import { OutboxStore } from './outbox/outbox';
import { SyncService, type SyncServiceOptions } from './sync/sync-service';

export interface MainServicesOptions {
  dataDir: string;
  ports: HostPorts;
  engine: EmbeddedEngine;
  override?: { apiUrl: string; apiKey: string; signingSecret?: string } | null;
  emit: <E extends BridgeEventName>(event: E, payload: BridgeEventPayload<E>) => void;
  settings: () => Settings;
  client?: Partial<Omit<HttpClientOptions, 'baseUrl' | 'apiKey' | 'signingSecret' | 'clock'>>;
  live?: SyncServiceOptions['live'];
  interactiveWaitMs?: number;
  /** Backoff of the initial load and outbox retries. */
  syncRetry?: { baseMs: number; maxMs: number };
  /** Schedules per list page of the initial and delta loads. */
  syncPageSize?: number;
  /** Cache location; defaults to <dataDir>/cache. */
  cacheDir?: string | null;
}

export class MainServices {
  readonly cache: CacheStore;
  readonly outbox: OutboxStore;
  readonly sync: SyncService;
  readonly connection: ConnectionManager;
  readonly notifications: NotificationService;
  private current: { resolved: ResolvedConnection; api: SchedulingApi } | null = null;
  private connecting: Promise<void> | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: MainServicesOptions) {
    const opened = openCacheDatabase(options.cacheDir === undefined ? join(options.dataDir, 'cache') : options.cacheDir);
    this.cache = new CacheStore(opened.db, opened.problem);
    this.outbox = new OutboxStore(this.cache);
    this.connection = new ConnectionManager({ dataDir: options.dataDir, secrets: options.ports.secrets, engine: options.engine, override: options.override ?? null });
    this.notifications = new NotificationService({ cache: this.cache, notifier: options.ports.notifier, clock: options.ports.clock, settings: options.settings });
    this.sync = new SyncService({
      cache: this.cache,
      outbox: this.outbox,
      clock: options.ports.clock,
      emit: options.emit,
      live: options.live,
      interactiveWaitMs: options.interactiveWaitMs,
      retryBaseMs: options.syncRetry?.baseMs,
      retryMaxMs: options.syncRetry?.maxMs,
      pageSize: options.syncPageSize,
      onServerEvents: (events) => this.onServerEvents(events),
    });
  }

  get api(): SchedulingApi | null {
    return this.current?.api ?? null;
  }

  get resolved(): ResolvedConnection | null {
    return this.current?.resolved ?? null;
  }

  /** Listeners of applied live events (each event once, in seq order). */
  readonly appliedListeners = new Set<(events: ServerEvent[]) => void>();

  private readonly announcedOptimizations = new Set<string>();

  /** Whether the renderer was told this optimization finished. */
  optimizationAnnounced(id: string): boolean {
    return this.announcedOptimizations.has(id);
  }

  /** Tells the renderer an optimization finished (from the live event or a follow-up), once per id. */
  announceOptimization(result: OptimizationResult): void {
    if (result.status === 'queued' || result.status === 'running' || this.announcedOptimizations.has(result.optimization_id)) return;
    // Only recent ids matter (a run and its live event arrive close together).
    if (this.announcedOptimizations.size >= 500) this.announcedOptimizations.clear();
    this.announcedOptimizations.add(result.optimization_id);
    this.options.emit('optimization.completed', result);
  }

  private onServerEvents(events: ServerEvent[]): void {
    for (const listener of this.appliedListeners) listener(events);
    for (const event of events) {
      if (event.type !== 'optimization.completed') continue;
      const parsed = OptimizationResultSchema.safeParse(event.data);
      if (parsed.success) this.announceOptimization(parsed.data);
    }
    const entries = events.map(describeEvent);
    try {
      this.cache.write(() => {
        for (const entry of entries) this.cache.addActivity(entry);
      });
    } catch {
      // The feed is a convenience; a full disk must not stop sync.
    }
    // A long replay would flood the renderer: only the latest reach it live.
    for (const entry of entries.slice(-20)) this.options.emit('activity', entry);
    this.notifications.onEvents(events);
  }

  async start(): Promise<void> {
    this.sync.start();
    this.notifications.start();
    this.pruneTimer = setInterval(() => {
      try {
        this.cache.prune(this.options.ports.clock.now());
      } catch {
        // reported through cache.problem
      }
    }, 6 * 3600_000);
    this.pruneTimer.unref();
    try {
      this.cache.prune(this.options.ports.clock.now());
    } catch {
      // read-only cache: nothing to prune
    }
    await this.connect();
    // Parse the months around today while the window opens, so the calendar's first reads are warm.
    const warm = setTimeout(() => {
      const now = new Date(this.options.ports.clock.now());
      for (const offset of [0, 1, -1, 2]) {
        const from = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1);
        const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset + 1, 1);
        try {
          this.cache.range(from, to);
        } catch {
          return;
        }
      }
    }, 50);
    warm.unref();
  }

  /** Builds the client for the current connection and points sync at it. */
  connect(): Promise<void> {
    const run = async () => {
      let resolved: ResolvedConnection | null = null;
      try {
        resolved = await this.connection.resolve();
      } catch (error) {
        this.current = null;
        this.sync.setTarget(null);
        throw error;
      }
      if (!resolved) {
        this.current = null;
        this.sync.setTarget(null);
        return;
      }
      this.scopeCache(resolved);
      const http = new HttpClient({
        baseUrl: resolved.baseUrl,
        apiKey: resolved.apiKey,
        signingSecret: resolved.signingSecret,
        clock: this.options.ports.clock,
        ...this.options.client,
        onBreakerChange: () => this.sync.publishStatus(),
      });
      const api = new SchedulingApi(http);
      this.current = { resolved, api };
      const key = resolved.apiKey;
      this.sync.setTarget({ api, wsUrl: `${resolved.baseUrl.replace(/^http/, 'ws')}/ws`, wsToken: async () => key });
    };
    const previous = this.connecting ?? Promise.resolve();
    this.connecting = previous.catch(() => undefined).then(run);
    return this.connecting;
  }

  /**
   * The cache mirrors one account. Another server or key: the mirror is dropped, and queued
   * writes are parked (they were meant for the other account) for the user to retry or discard.
   */
  private scopeCache(resolved: ResolvedConnection): void {
    const identity = ConnectionManager.identity(resolved);
    const previous = this.cache.getMeta('identity');
    if (previous === identity) return;
    try {
      this.cache.write(() => {
        if (previous !== null) {
          for (const table of ['schedules', 'items', 'entries', 'id_map', 'activity']) this.cache.db.prepare(`DELETE FROM ${table}`).run();
          this.cache.db.prepare("DELETE FROM meta WHERE key IN ('cursor', 'last_synced_at', 'last_pull_at')").run();
          this.cache.db
            .prepare("UPDATE outbox SET status = 'parked', last_error = ? WHERE status = 'pending'")
            .run('written while connected to another server; retry to send it to this one, or discard it');
        }
        this.cache.setMeta('identity', identity);
      });
      this.cache.clearMemory();
    } catch {
      // read-only cache: keep what it shows; status says why
    }
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.notifications.stop();
    await this.connecting?.catch(() => undefined);
    await this.sync.stop();
  }

  close(): void {
    try {
      this.cache.db.close();
    } catch {
      // already closed
    }
  }
}
