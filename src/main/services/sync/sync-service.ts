/**
 * Keeps the cache true to the server and carries the user's writes to it:
 *  - initial load (full), then deltas: live events from `/ws` since the cursor, or
 *    `updated_since` pulls when the socket is not there;
 *  - the outbox drained in order whenever the server is reachable (submit, reconnect, timer);
 *  - `sync.status` events: live/reconnecting/offline(since), pending/parked counts, breaker.
 */
import type { ServerEvent } from '../../../shared/api/events';
import { z } from 'zod';
import type { Item, Schedule } from '../../../shared/api/resources';
import type { BridgeEventName, BridgeEventPayload, SyncStatus } from '../../../shared/bridge';
import type { Clock } from '../../ports';
import { ApiClientError } from '../api-client/errors';
import type { SchedulingApi } from '../api-client/scheduling-api';
import { TTL, type CacheStore, type ChangeSet, type ScheduleRecord } from '../cache/cache-store';
import { CacheError } from '../cache/database';
import { LiveConnection, type LiveState } from '../live/live-connection';
import { applySent, sendEntry, type OutboxPayload, type OutboxStore, type StoredEntry } from '../outbox/outbox';

/** Schedules per list page (the server allows 200; a page also ends early past 10,000 items). */
export const SYNC_PAGE_SIZE = 100;

/** Meta key of a full load that has not finished yet, so the next attempt goes on from there. */
const LOAD_PROGRESS = 'full_load_progress';

const LoadProgressSchema = z.object({
  /** The connection it was reading: a load for another account is never resumed. */
  identity: z.string().nullable(),
  /** next_cursor of the last page written to the cache. */
  cursor: z.string().min(1),
  /** Head seq taken before the first page (the cursor the finished load stands for). */
  headSeq: z.number().int().nonnegative().nullable(),
  /** When the first page was asked for: the next delta pulls changes since then. */
  startedAt: z.string(),
  /** Schedules read so far; the ones not read by the end are gone from the server. */
  seen: z.array(z.string()),
});
type LoadProgress = z.infer<typeof LoadProgressSchema>;

export type Emit = <E extends BridgeEventName>(event: E, payload: BridgeEventPayload<E>) => void;

export interface SyncTarget {
  api: SchedulingApi;
  /** ws(s)://…/ws */
  wsUrl: string;
  wsToken: () => Promise<string>;
}

export interface SyncServiceOptions {
  cache: CacheStore;
  outbox: OutboxStore;
  clock: Clock;
  emit: Emit;
  /** Live events seen (activity feed, notifications); called after they are applied. */
  onServerEvents?: (events: ServerEvent[]) => void;
  live?: { enabled?: boolean; heartbeatMs?: number; heartbeatTimeoutMs?: number; backoff?: { baseMs: number; maxMs: number }; offlineAfterMs?: number };
  /** How long a user's write waits for the server before it answers "queued". */
  interactiveWaitMs?: number;
  /** Backoff of the initial load and outbox retries. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Schedules per list page of the full and delta loads (default SYNC_PAGE_SIZE). */
  pageSize?: number;
}

export class RejectedWrite extends Error {
  constructor(
    readonly entry: StoredEntry,
    readonly error: ApiClientError,
  ) {
    super(error.message);
  }
}

export interface SubmitResult {
  queued: boolean;
  outboxId: string | null;
  /** The server's answer when the write went through at once. */
  result?: unknown;
}

export class SyncService {
  private target: SyncTarget | null = null;
  private live: LiveConnection | null = null;
  private liveState: LiveState = 'offline';
  private offlineSince: number | null;
  private lastError: string | null = null;
  private draining: Promise<void> | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private loadTimer: NodeJS.Timeout | null = null;
  private loading: Promise<void> | null = null;
  private loadingTarget: SyncTarget | null = null;
  private loadAttempt = 0;
  private drainAttempt = 0;
  private stopped = true;
  private lastStatusJson = '';
  /** Writes whose caller waits for the answer: a rejection is thrown at them, not parked. */
  private readonly waiting = new Map<string, { result?: unknown; error?: ApiClientError }>();
  private refreshing = new Set<string>();
  /** Moves on every stop and target change: a load started before gives up between pages. */
  private epoch = 0;

  constructor(private readonly options: SyncServiceOptions) {
    this.offlineSince = options.clock.now();
  }

  get api(): SchedulingApi | null {
    return this.target?.api ?? null;
  }

  private now(): number {
    return this.options.clock.now();
  }

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  // ------------------------------------------------------------------ lifecycle

  /** Points sync at a server (or at none); the cache stays, the live socket restarts. */
  setTarget(target: SyncTarget | null): void {
    this.epoch += 1;
    this.live?.stop();
    this.live = null;
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = null;
    this.loadAttempt = 0;
    this.target = target;
    if (!this.stopped) this.begin();
    this.publishStatus();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.begin();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.epoch += 1;
    this.live?.stop();
    this.live = null;
    for (const timer of [this.drainTimer, this.loadTimer]) if (timer) clearTimeout(timer);
    this.drainTimer = null;
    this.loadTimer = null;
    await this.draining?.catch(() => undefined);
    await this.loading?.catch(() => undefined);
  }

  private begin(): void {
    const target = this.target;
    if (!target) {
      this.setLive('offline', 'no server configured');
      return;
    }
    if (this.options.live?.enabled !== false) {
      this.live = new LiveConnection({
        url: () => target.wsUrl,
        token: target.wsToken,
        since: () => this.options.cache.cursor,
        onEvents: (events) => this.applyEvents(events),
        onResyncRequired: async (headSeq) => {
          await this.fullLoad(headSeq);
        },
        onSubscribed: () => {
          this.options.cache.setMeta('last_synced_at', this.iso());
          void this.drain();
        },
        onState: (state, detail) => this.setLive(state, detail.error),
        clock: this.options.clock,
        heartbeatMs: this.options.live?.heartbeatMs,
        heartbeatTimeoutMs: this.options.live?.heartbeatTimeoutMs,
        backoff: this.options.live?.backoff,
        offlineAfterMs: this.options.live?.offlineAfterMs,
      });
    }
    void this.initialLoad();
  }

  /** Full load on first run, else a delta pull; retried with backoff until it lands. */
  private initialLoad(): Promise<void> {
    // A load for an earlier target finishes on its own but will not start anything.
    if (!this.loading || this.loadingTarget !== this.target) {
      this.loadingTarget = this.target;
      this.loading = (async () => {
        const target = this.target;
        try {
          if (this.options.cache.getMeta('last_synced_at')) await this.deltaLoad();
          else await this.fullLoad(null);
          this.loadAttempt = 0;
          if (this.target === target) {
            this.live?.start();
            void this.drain();
          }
        } catch (error) {
          if (this.stopped || this.target !== target) return;
          this.noteError(error);
          const delay = this.backoff(this.loadAttempt++);
          this.loadTimer = setTimeout(() => {
            this.loadTimer = null;
            void this.initialLoad();
          }, delay);
          this.loadTimer.unref();
        }
      })();
      const mine = this.loading;
      void mine.finally(() => {
        if (this.loading === mine) this.loading = null;
      });
    }
    return this.loading;
  }

  private backoff(attempt: number): number {
    const base = this.options.retryBaseMs ?? 500;
    const ceiling = Math.min(this.options.retryMaxMs ?? 30_000, base * 2 ** Math.min(attempt, 16));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Waits for a running initial load (tests, sync.now). */
  async settled(): Promise<void> {
    await this.loading;
    await this.live?.idle();
    await this.draining;
  }

  // ------------------------------------------------------------------ loading

  /**
   * The server's whole state, page by page (each list page carries its schedules' items), then
   * (when known) the cursor it corresponds to: the head seq taken before the first page, so
   * events during the load are replayed, and versions make those replays no-ops where the pages
   * are already newer. Each page is written with the load's progress in one transaction, so a
   * load cut short (server gone, app closed) goes on from its last page instead of from zero.
   */
  async fullLoad(headSeq: number | null): Promise<void> {
    const api = this.requireApi();
    const cache = this.options.cache;
    const identity = cache.getMeta('identity');
    let progress = this.resumableLoad(identity, headSeq);
    const startedAt = progress?.startedAt ?? this.iso();
    const fromSeq = progress ? progress.headSeq : headSeq;
    const seen = new Set(progress?.seen ?? []);
    let cursor = progress?.cursor ?? null;
    do {
      let page;
      try {
        page = await this.readPage(api, { cursor });
      } catch (error) {
        // A cursor the server no longer takes (it was upgraded, or its data replaced): start over.
        if (!progress || !(error instanceof ApiClientError) || error.status !== 400) throw error;
        cache.write(() => cache.setMeta(LOAD_PROGRESS, ''));
        progress = null;
        return this.fullLoad(headSeq);
      }
      progress = null;
      cursor = page.next_cursor;
      for (const schedule of page.data) seen.add(schedule.id);
      // Gone from the server: not pending here and not read by this load (checked at the end).
      const gone = cursor ? [] : cache.listSchedules().filter((s) => !s.pending && !seen.has(s.record.id)).map((s) => s.record.id);
      const next = cursor;
      cache.write(() => {
        for (const schedule of page.data) this.mirrorSchedule(schedule);
        if (next) {
          const saved: LoadProgress = { identity, cursor: next, headSeq: fromSeq, startedAt, seen: [...seen] };
          cache.setMeta(LOAD_PROGRESS, JSON.stringify(saved));
          return;
        }
        for (const id of gone) this.dropSchedule(id);
        if (fromSeq !== null) cache.setMeta('cursor', String(fromSeq));
        cache.setMeta('last_synced_at', startedAt);
        cache.setMeta('last_pull_at', startedAt);
        cache.setMeta(LOAD_PROGRESS, '');
      });
      this.options.emit('data.changed', { scopes: ['schedules', 'items'] });
    } while (cursor);
    this.lastError = null;
    this.publishStatus();
  }

  /** The unfinished load to go on with, if it was reading this account from a usable point. */
  private resumableLoad(identity: string | null, headSeq: number | null): LoadProgress | null {
    const text = this.options.cache.getMeta(LOAD_PROGRESS);
    if (!text) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null;
    }
    const progress = LoadProgressSchema.safeParse(parsed);
    if (!progress.success || progress.data.identity !== identity) return null;
    // Pages read without a seq cannot stand for a resync that needs one.
    if (progress.data.headSeq === null && headSeq !== null) return null;
    return progress.data;
  }

  /**
   * One list page with the items of its schedules. A server that does not expand lists (another
   * implementation of the contract) gets the old way: a read per schedule.
   */
  private async readPage(api: SchedulingApi, query: { cursor: string | null; updatedSince?: string | null }): Promise<{ data: Schedule[]; next_cursor: string | null }> {
    const epoch = this.epoch;
    const page = await api.listSchedules({
      limit: this.options.pageSize ?? SYNC_PAGE_SIZE,
      expand: 'items',
      ...(query.updatedSince ? { updated_since: query.updatedSince } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    const data: Schedule[] = [];
    for (const schedule of page.data) data.push(schedule.items ? schedule : await api.getSchedule(schedule.id, true));
    // Stopped or pointed elsewhere meanwhile: this page must not reach the cache (it may be
    // another account's by now); a finished page is kept and the load goes on from it next time.
    if (epoch !== this.epoch) throw new ApiClientError('network', 'sync stopped', null);
    return { data, next_cursor: page.next_cursor };
  }

  /**
   * A schedule and its items as the server has them (what replaceAll does for the whole mirror):
   * rows waiting in the outbox stay, items the server no longer has go, and cancelled items
   * (local records, docs/cache.md) stay while their schedule exists.
   */
  private mirrorSchedule(schedule: Schedule): void {
    const cache = this.options.cache;
    const items = schedule.items ?? [];
    if (!cache.schedule(schedule.id)?.pending) cache.putSchedule(schedule);
    const onServer = new Set(items.map((i) => i.id));
    for (const cached of cache.itemsOf(schedule.id)) {
      if (!cached.pending && cached.status !== 'cancelled' && !onServer.has(cached.id)) cache.removeItem(cached.id);
    }
    for (const item of items) if (!cache.item(item.id)?.pending) cache.putItem(item);
  }

  /** A schedule the server no longer has; items still waiting in the outbox keep it. */
  private dropSchedule(id: string): void {
    const cache = this.options.cache;
    const items = cache.itemsOf(id);
    if (items.some((i) => i.pending)) {
      for (const item of items) if (!item.pending) cache.removeItem(item.id);
    } else cache.removeSchedule(id);
  }

  /**
   * Schedules changed since the last pull, with their items, page by page. An item the server
   * no longer has was deleted, which is how it cancels an unpublished item: it is marked
   * cancelled, as the `item.deleted` event would have done.
   */
  async deltaLoad(): Promise<void> {
    const api = this.requireApi();
    const cache = this.options.cache;
    const since = cache.getMeta('last_pull_at') ?? cache.getMeta('last_synced_at');
    if (!since) {
      // Never loaded in full: that load (resumable, single-flight) is the pull. A stale read
      // during it must not start a second complete read beside it.
      await this.initialLoad();
      return;
    }
    const started = this.iso();
    let cursor: string | null = null;
    do {
      const page = await this.readPage(api, { cursor, updatedSince: since });
      cursor = page.next_cursor;
      if (page.data.length === 0) continue;
      const touched = this.options.outbox.touched();
      cache.write(() => {
        for (const schedule of page.data) {
          cache.putSchedule(schedule, touched.has(schedule.id));
          const onServer = new Set((schedule.items ?? []).map((i) => i.id));
          for (const cached of cache.itemsOf(schedule.id)) {
            if (!cached.pending && cached.status !== 'cancelled' && !onServer.has(cached.id)) cache.markItemCancelled(cached.id);
          }
          for (const item of schedule.items ?? []) cache.putIfNewer(item);
        }
      });
      this.options.emit('data.changed', { scopes: ['schedules', 'items'], scheduleIds: page.data.map((s) => s.id) });
    } while (cursor);
    cache.write(() => {
      cache.setMeta('last_synced_at', started);
      cache.setMeta('last_pull_at', started);
    });
    this.lastError = null;
    this.publishStatus();
  }

  /** sync.now: a pull now (the socket covers the rest). */
  async syncNow(): Promise<SyncStatus> {
    try {
      await this.deltaLoad();
      await this.drain();
    } catch (error) {
      this.noteError(error);
    }
    return this.status();
  }

  /** A stale read asks for a refresh; one at a time per key, never awaited by the read. */
  refreshInBackground(key: string, task: (api: SchedulingApi) => Promise<void>): void {
    const api = this.target?.api;
    if (!api || this.refreshing.has(key)) return;
    this.refreshing.add(key);
    void task(api)
      .catch((error: unknown) => this.noteError(error))
      .finally(() => this.refreshing.delete(key));
  }

  /** Whether cached schedules/items can be called fresh right now. */
  schedulesFresh(): boolean {
    if (this.liveState === 'live') return true;
    const at = this.options.cache.getMeta('last_synced_at');
    return at !== null && this.now() - Date.parse(at) < TTL.schedules;
  }

  lastSyncedAt(): string | null {
    if (this.liveState === 'live') return this.iso();
    return this.options.cache.getMeta('last_synced_at');
  }

  // ------------------------------------------------------------------ live events

  private async applyEvents(events: ServerEvent[]): Promise<void> {
    const cache = this.options.cache;
    const first = events[0];
    if (first && first.seq > cache.cursor + 1 && cache.cursor > 0) {
      // A gap: never apply past it; the reconnect resubscribes from the cursor.
      throw new Error(`live events skipped from seq ${cache.cursor + 1} to ${first.seq - 1}`);
    }
    let changes: (ChangeSet & { applied: ServerEvent[] }) | null = null;
    // New or moved items change what the recommendations would say (spacing): they go stale.
    const affectsRecommendations = events.some((e) => e.type === 'item.created' || e.type === 'item.rescheduled' || e.type === 'schedule.created' || e.type === 'item.deleted');
    cache.write(() => {
      changes = cache.applyEvents(events);
      cache.setMeta('last_synced_at', this.iso());
      if (affectsRecommendations) {
        cache.expireEntries('recommendations', this.now());
        cache.expireEntries('heatmaps', this.now());
      }
    });
    const applied = changes as (ChangeSet & { applied: ServerEvent[] }) | null;
    if (applied && (applied.items || applied.schedules)) {
      const scopes: Array<'schedules' | 'items' | 'recommendations'> = ['schedules', 'items'];
      if (affectsRecommendations) scopes.push('recommendations');
      this.options.emit('data.changed', { scopes, scheduleIds: [...applied.scheduleIds] });
    }
    if (applied && applied.applied.length > 0) this.options.onServerEvents?.(applied.applied);
  }

  // ------------------------------------------------------------------ writes and the outbox

  /**
   * Commits a write to the outbox with its optimistic change, then tries to send it (and
   * everything queued before it). A rejection the user is waiting for is thrown as
   * RejectedWrite; one that happens later is parked.
   */
  async submit(payload: OutboxPayload, summary: string, optimistic: () => void): Promise<SubmitResult> {
    const entry = this.options.outbox.enqueue(payload, summary, this.iso(), optimistic);
    this.options.emit('data.changed', { scopes: ['schedules', 'items', 'outbox'] });
    this.publishStatus();
    if (!this.target || this.target.api.http.breaker.state === 'open') return { queued: true, outboxId: entry.id };
    this.waiting.set(entry.id, {});
    try {
      const wait = this.options.interactiveWaitMs ?? 3000;
      let timer: NodeJS.Timeout | null = null;
      await Promise.race([this.drain(), new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)))]);
      if (timer) clearTimeout(timer);
      const outcome = this.waiting.get(entry.id);
      if (outcome?.error) throw new RejectedWrite(entry, outcome.error);
      const still = this.options.outbox.get(entry.id);
      return still ? { queued: true, outboxId: entry.id } : { queued: false, outboxId: null, result: outcome?.result };
    } finally {
      this.waiting.delete(entry.id);
    }
  }

  /** Sends queued entries in order until the queue is empty or the server fails (single-flight). */
  drain(): Promise<void> {
    if (!this.draining) {
      this.draining = this.drainOnce().finally(() => {
        this.draining = null;
      });
    }
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const api = this.target?.api;
    if (!api) return;
    const { outbox, cache } = this.options;
    let progressed = false;
    for (;;) {
      if (this.stopped && !this.waiting.size) break;
      const entry = outbox.pending()[0];
      if (!entry) break;
      let outcome;
      try {
        outcome = await sendEntry(api, outbox, entry);
      } catch (error) {
        this.noteError(error);
        break;
      }
      if (outcome.kind === 'sent') {
        const waiter = this.waiting.get(entry.id);
        if (waiter) waiter.result = outcome.result;
        outbox.complete(entry.id, () => applySent(cache, outbox, entry, outcome.result));
        progressed = true;
        this.drainAttempt = 0;
        continue;
      }
      if (outcome.kind === 'rejected') {
        const waiter = this.waiting.get(entry.id);
        if (waiter) {
          waiter.error = outcome.error;
          outbox.complete(entry.id, () => revert(cache, entry, outcome.error));
        } else {
          outbox.park(entry.id, `${outcome.error.code}: ${outcome.error.message}`);
        }
        progressed = true;
        continue;
      }
      // Transient: keep the order, try again later.
      outbox.noteAttempt(entry.id, `${outcome.error.code}: ${outcome.error.message}`);
      this.noteError(outcome.error);
      const delay = Math.max(outcome.error.extra.retryAfterMs ?? 0, api.http.breaker.retryInMs, this.backoff(this.drainAttempt++));
      this.scheduleDrain(delay);
      break;
    }
    if (progressed) this.options.emit('data.changed', { scopes: ['schedules', 'items', 'outbox'] });
    this.publishStatus();
  }

  private scheduleDrain(delay: number): void {
    if (this.stopped) return;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      void this.drain();
    }, delay);
    this.drainTimer.unref();
  }

  retry(id: string): void {
    this.options.outbox.unpark(id);
    this.drainAttempt = 0;
    void this.drain();
    this.publishStatus();
  }

  /** Drops an entry and puts the server's state back where its optimistic change was. */
  discard(id: string): void {
    const entry = this.options.outbox.get(id);
    if (!entry) return;
    this.options.outbox.complete(id, () => revert(this.options.cache, entry, null));
    const scheduleId = 'scheduleId' in entry.payload ? this.options.outbox.resolve(entry.payload.scheduleId) : null;
    if (scheduleId && !scheduleId.startsWith('local_')) {
      this.refreshInBackground(`schedule:${scheduleId}`, async (api) => {
        const full = await api.getSchedule(scheduleId, true);
        this.options.cache.write(() => {
          this.options.cache.putSchedule(full);
          for (const item of full.items ?? []) this.options.cache.putItem(item);
        });
        this.options.emit('data.changed', { scopes: ['schedules', 'items'], scheduleIds: [scheduleId] });
      });
    }
    this.options.emit('data.changed', { scopes: ['schedules', 'items', 'outbox'] });
    this.publishStatus();
  }

  // ------------------------------------------------------------------ status

  private requireApi(): SchedulingApi {
    const api = this.target?.api;
    if (!api) throw new ApiClientError('network', 'no server is configured', null);
    return api;
  }

  private noteError(error: unknown): void {
    if (this.stopped) return;
    if (error instanceof ApiClientError || error instanceof CacheError || error instanceof Error) this.lastError = error.message;
    else this.lastError = String(error);
    this.publishStatus();
  }

  private setLive(state: LiveState, error: string | null): void {
    if (state === 'live') {
      this.offlineSince = null;
      this.lastError = null;
    } else if (this.offlineSince === null) this.offlineSince = this.now();
    this.liveState = state;
    if (error && state !== 'live') this.lastError = error;
    this.publishStatus();
  }

  status(): SyncStatus {
    const counts = this.options.outbox.counts();
    return {
      live: this.liveState,
      offlineSince: this.liveState === 'live' || this.offlineSince === null ? null : this.iso(this.offlineSince),
      lastSyncedAt: this.options.cache.getMeta('last_synced_at'),
      pendingCount: counts.pending,
      parkedCount: counts.parked,
      breaker: this.target?.api.http.breaker.state ?? 'closed',
      lastError: this.lastError ?? this.options.cache.problem,
    };
  }

  publishStatus(): void {
    // After stop the cache may be closed; nobody is listening any more.
    if (this.stopped) return;
    const status = this.status();
    const json = JSON.stringify(status);
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.options.emit('sync.status', status);
  }
}

/** Puts the cache back where an entry's optimistic change was (server state when we know it). */
export function revert(cache: CacheStore, entry: StoredEntry, error: ApiClientError | null): void {
  const p = entry.payload;
  const current = error?.extra.body?.current as Record<string, unknown> | undefined;
  switch (p.kind) {
    case 'create_schedule':
      cache.removeSchedule(p.localId);
      return;
    case 'add_item':
      cache.removeItem(p.localId);
      return;
    case 'update_schedule':
    case 'delete_schedule': {
      if (current) cache.putSchedule(current as unknown as ScheduleRecord);
      else if (error?.status === 404) cache.removeSchedule(p.scheduleId);
      else if (p.before) cache.putSchedule(p.before);
      return;
    }
    case 'reschedule_item':
    case 'update_item':
    case 'cancel_item': {
      if (current) cache.putItem(current as unknown as Item);
      else if (error?.status === 404) cache.removeItem(p.itemId);
      else if (p.before) cache.putItem(p.before);
      return;
    }
    case 'apply_optimization':
      return;
  }
}
