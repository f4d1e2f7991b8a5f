/**
 * The live connection to the server's `/ws`: authenticates with the Authorization header,
 * subscribes to every schedule since the last applied seq, hands events to `onEvents` in
 * arrival order, reconnects with jittered backoff, and detects a dead socket by heartbeat
 * (our ping unanswered within the timeout). States: live / reconnecting / offline(since).
 */
import WebSocket from 'ws';
import { ServerWsMessageSchema, type ServerEvent } from '../../../shared/api/events';
import type { Clock } from '../../ports';

export type LiveState = 'live' | 'reconnecting' | 'offline';

export interface LiveConnectionOptions {
  /** ws(s)://host:port/ws */
  url: () => string | null;
  token: () => Promise<string>;
  /** The last applied seq (read at every (re)subscribe). */
  since: () => number;
  /** Applies events (already in seq order); must be durable before it resolves. */
  onEvents: (events: ServerEvent[]) => Promise<void> | void;
  /** The server cannot replay from `since`: do a full resync, then follow from `headSeq`. */
  onResyncRequired: (headSeq: number) => Promise<void>;
  /** Subscribed and caught up to `headSeq` (replay done). */
  onSubscribed?: (headSeq: number) => void;
  onState: (state: LiveState, detail: { since: number | null; error: string | null }) => void;
  clock: Clock;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** After this long without a connection the state turns from reconnecting to offline. */
  offlineAfterMs?: number;
  random?: () => number;
}

export class LiveConnection {
  private socket: WebSocket | null = null;
  private stopped = true;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private deadTimer: NodeJS.Timeout | null = null;
  private offlineTimer: NodeJS.Timeout | null = null;
  private state: LiveState = 'offline';
  private lostAt: number | null;
  private lastError: string | null = null;
  /** Events are applied strictly one batch after another. */
  private chain: Promise<void> = Promise.resolve();
  private buffer: ServerEvent[] = [];
  private flushScheduled = false;
  private resyncing = false;

  constructor(private readonly options: LiveConnectionOptions) {
    this.lostAt = options.clock.now();
  }

  get current(): { state: LiveState; since: number | null; error: string | null } {
    return { state: this.state, since: this.lostAt, error: this.lastError };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearHeartbeat();
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.terminate();
    this.setState('offline');
  }

  /** Resolves once everything received so far has been applied. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Drops the current socket and reconnects at once (used after a connection change). */
  restart(): void {
    this.stop();
    this.start();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const url = this.options.url();
    if (!url) return this.scheduleReconnect('no server address');
    let token: string;
    try {
      token = await this.options.token();
    } catch (error) {
      return this.scheduleReconnect(error instanceof Error ? error.message : String(error));
    }
    if (this.stopped) return;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: this.options.heartbeatTimeoutMs ?? 10_000 });
    this.socket = socket;
    socket.on('open', () => {
      if (this.socket !== socket) return;
      socket.send(JSON.stringify({ type: 'subscribe', schedules: ['*'], since: this.options.since() }));
      this.startHeartbeat(socket);
    });
    socket.on('message', (raw) => {
      if (this.socket !== socket) return;
      this.touch(socket);
      this.receive(raw.toString());
    });
    socket.on('pong', () => this.touch(socket));
    socket.on('unexpected-response', (_request, response) => {
      this.lastError = `the server refused the live connection (HTTP ${response.statusCode ?? '?'})`;
      socket.terminate();
    });
    socket.on('error', (error) => {
      this.lastError = error.message;
    });
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      // 4401: the key was revoked or expired; 4429: too many connections for the account.
      if (code >= 4000) this.lastError = `the server closed the live connection (${code}${reason.length ? `: ${reason.toString()}` : ''})`;
      this.socket = null;
      this.clearHeartbeat();
      this.scheduleReconnect(this.lastError ?? 'connection closed');
    });
  }

  private receive(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = ServerWsMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const message = parsed.data;
    if ('seq' in message) {
      this.buffer.push(message);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Events that arrive together are applied together (one transaction).
        setImmediate(() => this.flush());
      }
      return;
    }
    switch (message.type) {
      case 'subscribed':
        this.attempt = 0;
        this.lastError = null;
        this.enqueue(async () => {
          this.options.onSubscribed?.(message.head_seq);
          this.setState('live');
        });
        return;
      case 'resync_required':
        this.resyncing = true;
        this.enqueue(async () => {
          try {
            await this.options.onResyncRequired(message.head_seq);
          } finally {
            this.resyncing = false;
          }
          // Follow again from the new cursor.
          this.socket?.send(JSON.stringify({ type: 'subscribe', schedules: ['*'], since: this.options.since() }));
        });
        return;
      case 'error':
        this.lastError = `${message.code}: ${message.message}`;
        return;
      default:
        return;
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0 || this.resyncing) {
      // Events racing a resync are replayed by the next subscribe.
      return;
    }
    this.enqueue(async () => {
      await this.options.onEvents(batch);
    });
  }

  private enqueue(task: () => Promise<void>): void {
    const socket = this.socket;
    this.chain = this.chain.then(task).catch((error: unknown) => {
      // A failed apply must not skip events: drop the socket and resubscribe from the cursor.
      this.lastError = error instanceof Error ? error.message : String(error);
      if (socket && this.socket === socket) socket.terminate();
    });
  }

  private startHeartbeat(socket: WebSocket): void {
    this.clearHeartbeat();
    const every = this.options.heartbeatMs ?? 15_000;
    this.pingTimer = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      try {
        socket.ping();
      } catch {
        socket.terminate();
      }
    }, every);
    this.pingTimer.unref();
    this.touch(socket);
  }

  /** Any traffic proves the socket alive; silence past the timeout kills it. */
  private touch(socket: WebSocket): void {
    if (this.deadTimer) clearTimeout(this.deadTimer);
    const timeout = (this.options.heartbeatMs ?? 15_000) + (this.options.heartbeatTimeoutMs ?? 10_000);
    this.deadTimer = setTimeout(() => {
      if (this.socket !== socket) return;
      this.lastError = 'the live connection stopped answering (heartbeat timeout)';
      socket.terminate();
    }, timeout);
    this.deadTimer.unref();
  }

  private clearHeartbeat(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.deadTimer) clearTimeout(this.deadTimer);
    this.pingTimer = null;
    this.deadTimer = null;
  }

  private scheduleReconnect(reason: string): void {
    this.lastError = reason;
    if (this.stopped) return;
    const offlineAfter = this.options.offlineAfterMs ?? 10_000;
    if (this.state === 'live') this.lostAt = this.options.clock.now();
    const lostFor = this.options.clock.now() - (this.lostAt ?? this.options.clock.now());
    this.setState(lostFor >= offlineAfter || this.state === 'offline' ? 'offline' : 'reconnecting');
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: 500, maxMs: 30_000 };
    const ceiling = Math.min(maxMs, baseMs * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2));
    this.attempt = Math.min(this.attempt + 1, 20);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private setState(state: LiveState): void {
    if (state === 'live') this.lostAt = null;
    else if (this.lostAt === null) this.lostAt = this.options.clock.now();
    if (this.offlineTimer) clearTimeout(this.offlineTimer);
    this.offlineTimer = null;
    if (state === 'reconnecting' && !this.stopped) {
      // Reconnecting turns offline after a while even if no attempt has finished yet.
      const left = (this.options.offlineAfterMs ?? 10_000) - (this.options.clock.now() - (this.lostAt ?? 0));
      this.offlineTimer = setTimeout(() => {
        this.offlineTimer = null;
        if (this.state === 'reconnecting' && !this.stopped) this.setState('offline');
      }, Math.max(0, left));
      this.offlineTimer.unref();
    }
    const changed = state !== this.state;
    this.state = state;
    if (changed || state !== 'live') this.options.onState(state, { since: this.lostAt, error: this.lastError });
  }
}
