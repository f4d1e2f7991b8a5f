/**
 * One subscriber's gapless, duplicate-free view of its account's event log.
 *
 * The stream subscribes to the hub first and only then reads the head and replays from the
 * table, so nothing committed in between is lost; `cursor` (the last account seq handled,
 * whether or not it matched the filter) drops duplicates across the replay/live boundary.
 * Live events are only a shortcut: whenever the in-memory queue would grow past its bound, or
 * a seq is missing (events published out of commit order, or written by another process),
 * the stream reads from the table instead. Memory per subscriber is therefore bounded.
 */
import type { Kysely } from 'kysely';
import type { ServerEvent } from '../../shared/api/events';
import type { Database } from '../storage/schema';
import type { LiveHub, LiveSubscriber } from './hub';
import { headSeq, oldestRetainedSeq, readEventsAfter } from './store';

export interface EventStreamOptions {
  db: Kysely<Database>;
  hub: LiveHub;
  accountId: string;
  /** Which events this subscriber wants (all account events pass through the cursor). */
  filter: (event: ServerEvent) => boolean;
  /** Sends one event; resolves when the transport accepted it, rejects when it gave up. */
  send: (event: ServerEvent) => Promise<void>;
  /** Live events kept in memory before falling back to reading the table. */
  maxQueued?: number;
  pageSize?: number;
  /** A failure of the stream itself (database gone, transport closed). */
  onError: (error: unknown) => void;
}

export type StartResult =
  | { kind: 'replayed'; headSeq: number; replayed: number }
  | { kind: 'resync_required'; headSeq: number; oldestSeq: number };

export class EventStream implements LiveSubscriber {
  private cursor = 0;
  private started = false;
  private closed = false;
  private running = false;
  private fetchWanted = false;
  private queue: ServerEvent[] = [];
  private readonly unsubscribe: () => void;
  private readonly maxQueued: number;
  private readonly pageSize: number;

  constructor(private readonly options: EventStreamOptions) {
    this.maxQueued = options.maxQueued ?? 1000;
    this.pageSize = options.pageSize ?? 500;
    this.unsubscribe = options.hub.subscribe(options.accountId, this);
  }

  /**
   * Replays every retained event after `since` (none when undefined: live only), then follows
   * live. When `since` is older than retention, nothing is replayed and the stream follows from
   * the head; the caller tells the client to resync.
   */
  async start(since: number | undefined): Promise<StartResult> {
    const { db, accountId } = this.options;
    const head = await headSeq(db, accountId);
    let result: StartResult;
    if (since === undefined) {
      this.cursor = head;
      result = { kind: 'replayed', headSeq: head, replayed: 0 };
    } else {
      const oldest = since !== head ? await oldestRetainedSeq(db, accountId) : null;
      // A client ahead of the server (a restored database) cannot be served either.
      if (since > head || (since < head && (oldest === null || oldest > since + 1))) {
        this.cursor = head;
        result = { kind: 'resync_required', headSeq: head, oldestSeq: oldest ?? head + 1 };
      } else {
        this.cursor = since;
        const replayed = await this.catchUp(head);
        result = { kind: 'replayed', headSeq: head, replayed };
      }
    }
    return result;
  }

  /** Starts delivering live events (call after telling the client the replay is done). */
  follow(): void {
    if (this.closed) return;
    this.started = true;
    this.kick();
  }

  onEvents(events: ServerEvent[]): void {
    if (this.closed) return;
    if (this.fetchWanted || this.queue.length + events.length > this.maxQueued) {
      // They are committed, so the table has them: read them from there when we get to it.
      this.queue = [];
      this.fetchWanted = true;
    } else {
      this.queue.push(...events);
    }
    this.kick();
  }

  onPoke(): void {
    if (this.closed) return;
    this.fetchWanted = true;
    this.kick();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.unsubscribe();
  }

  get lastSeq(): number {
    return this.cursor;
  }

  private kick(): void {
    if (!this.started || this.running || this.closed) return;
    this.running = true;
    this.pump()
      .catch((error: unknown) => {
        if (!this.closed) this.options.onError(error);
      })
      .finally(() => {
        this.running = false;
        if (!this.closed && (this.fetchWanted || this.queue.length > 0)) this.kick();
      });
  }

  private async pump(): Promise<void> {
    while (!this.closed && (this.fetchWanted || this.queue.length > 0)) {
      if (this.fetchWanted) {
        this.fetchWanted = false;
        this.queue = [];
        await this.catchUp(undefined);
        continue;
      }
      const batch = this.queue.sort((a, b) => a.seq - b.seq);
      this.queue = [];
      for (const event of batch) {
        if (this.closed) return;
        if (event.seq <= this.cursor) continue;
        if (event.seq !== this.cursor + 1) {
          // A gap: the missing events are committed (seq order is commit order per account).
          this.fetchWanted = true;
          break;
        }
        await this.deliver(event);
      }
    }
  }

  /** Reads and delivers everything after the cursor (up to `upto` when given). */
  private async catchUp(upto: number | undefined): Promise<number> {
    let delivered = 0;
    for (;;) {
      if (this.closed) return delivered;
      const page = await readEventsAfter(this.options.db, this.options.accountId, this.cursor, this.pageSize, upto);
      for (const event of page) {
        if (this.closed) return delivered;
        if (event.seq <= this.cursor) continue;
        if (await this.deliver(event)) delivered += 1;
      }
      if (page.length < this.pageSize) return delivered;
    }
  }

  private async deliver(event: ServerEvent): Promise<boolean> {
    this.cursor = event.seq;
    if (!this.options.filter(event)) return false;
    await this.options.send(event);
    return true;
  }
}
