/**
 * Live updates over WebSocket (docs/live-and-dispatch.md):
 *  - `GET /ws` multiplexes: auth (header or first message), then `subscribe` with schedules and
 *    `since`, replay of retained events, then live events;
 *  - `GET /ws/schedules/{id}` streams one schedule (the guide's path), `?since=N` to replay.
 * Every client message is parsed with the shared schema; a bad one gets an `error` message.
 */
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import {
  ClientWsMessageSchema,
  type ServerControlMessage,
  type ServerEvent,
} from '../../shared/api/events';
import { issuesToDetails } from '../../shared/api/common';
import type { ServerContext } from '../context';
import { sendError, ApiError } from '../errors';
import { LiveHub } from '../events/hub';
import { createLiveMetrics, type LiveMetrics } from '../events/metrics';
import { resolveLiveOptions, type LiveOptions, type ResolvedLiveOptions } from '../events/options';
import { PgEventRelay } from '../events/pg-relay';
import { pruneEvents } from '../events/retention';
import { EventStream } from '../events/stream';
import { bearerOf, principalResolver, type TokenResolver } from '../events/ws-auth';
import { principalCacheFor } from '../http/principal-cache';

/** Close codes (4000-4999 are the application's). */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooSlow: 1013,
  unauthorized: 4401,
  tooManyConnections: 4429,
  notFound: 4404,
  internal: 1011,
} as const;

const MAX_BAD_MESSAGES = 50;

export interface LiveRegistration {
  hub: LiveHub;
  options: ResolvedLiveOptions;
  /** Open connections (tests and metrics). */
  connectionCount(): number;
}

export interface LiveRegistrationOptions {
  live?: LiveOptions;
  /** Set for PostgreSQL so other processes' events reach this one's subscribers. */
  databaseUrl?: string | undefined;
  resolveToken?: TokenResolver;
  /** The server's Prometheus registry (GET /metrics). */
  registry?: Registry;
}

export async function registerLiveUpdates(
  app: FastifyInstance,
  ctx: ServerContext,
  registration: LiveRegistrationOptions = {},
): Promise<LiveRegistration> {
  const options = resolveLiveOptions(registration.live);
  const resolveToken = registration.resolveToken ?? principalResolver(ctx.storage.db, () => ctx.clock.now());
  const hub = new LiveHub(ctx.events);
  const connections = new Set<Connection>();
  const metrics = createLiveMetrics(registration.registry, () => connections.size);

  let closing = false;
  // An upgrade that arrives while closing gets Fastify's 503 from the plugin's listener (which
  // runs first), written to a socket that Node leaves open, half-open once the client hangs
  // up: end it once the answer is out.
  app.server.on('upgrade', (_request, socket: Duplex) => {
    if (!closing) return;
    setImmediate(() => {
      if (!socket.destroyed) socket.end(() => socket.destroy());
    });
  });
  // Here, at the root, not only in the plugin's preClose: that one runs in the WebSocket scope,
  // after preClose hooks added to the root later.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  let relay: PgEventRelay | null = null;
  if (ctx.storage.dialect === 'postgres' && registration.databaseUrl) {
    const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(ctx.storage.db);
    relay = new PgEventRelay({
      connectionString: registration.databaseUrl,
      schema: current.rows[0]?.schema ?? 'public',
      hub,
      log: (message, error) => app.log.warn({ err: error }, message),
      // Another process (or the CLI) revoked a key: it stops working here too, open sockets included.
      onKeyRevoked: (keyId) => principalCacheFor(ctx).keyRevoked(keyId),
      onReconnected: () => principalCacheFor(ctx).clear(),
    });
    await relay.start();
  }

  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, options.heartbeatMs);
  heartbeat.unref();

  let pruning = false;
  const retentionTimer =
    options.retention.intervalMs > 0
      ? setInterval(() => {
          if (pruning) return;
          pruning = true;
          pruneEvents(ctx.storage.db, ctx.clock.now(), options.retention)
            .catch((error: unknown) => app.log.warn({ err: error }, 'event retention prune failed'))
            .finally(() => {
              pruning = false;
            });
        }, options.retention.intervalMs)
      : null;
  retentionTimer?.unref();

  // A key revoked in this process ends its connections now, not at the next heartbeat.
  const stopRevocations = principalCacheFor(ctx).onKeyRevoked(() => {
    for (const connection of connections) connection.revalidate();
  });

  app.addHook('onClose', async () => {
    stopRevocations();
    clearInterval(heartbeat);
    if (retentionTimer) clearInterval(retentionTimer);
    for (const connection of connections) connection.shutdown();
    await relay?.stop();
    hub.close();
  });

  const deps: ConnectionDeps = { ctx, hub, options, resolveToken, connections, log: app.log, metrics, perAccount: new Map() };

  // Header auth is checked before the upgrade, so a bad key is a plain 401 (or 404 for a
  // schedule of another account), as on the HTTP API.
  const preValidation = async (request: FastifyRequest<WsRoute>, reply: FastifyReply) => {
    const token = bearerOf(request.headers.authorization);
    if (token === null) return;
    const accountId = token ? await resolveToken(token) : null;
    if (!accountId) return sendError(reply, request, new ApiError('unauthorized', 'missing or invalid credentials'));
    const scheduleId = request.params.id;
    if (scheduleId !== undefined && !(await scheduleBelongs(ctx, accountId, scheduleId))) {
      return sendError(reply, request, ApiError.notFound('schedule'));
    }
    headerAccounts.set(request, { accountId, token });
  };
  const headerAccounts = new WeakMap<FastifyRequest, { accountId: string; token: string }>();

  // A plain GET (no Upgrade) is told what to do instead of a bare 404.
  const notUpgraded = async (request: FastifyRequest<WsRoute>, reply: FastifyReply) => {
    await sendError(reply, request, new ApiError('validation_failed', 'this endpoint speaks WebSocket: connect with an Upgrade: websocket request', undefined, 426));
  };

  // The plugin and the WebSocket routes live in a scope of their own: the plugin's hooks and its
  // handler wrapper then run for these two routes only, not on every request of the API. An
  // Upgrade request to any other route is answered over HTTP and closed (http/index.ts).
  await app.register(async (scope) => {
    await scope.register(websocket, {
      options: { maxPayload: options.maxMessageBytes },
      // Replaces the plugin's default, so it must also do what that one does. Fastify stops the
      // HTTP server before any onClose hook runs (ours included) and waits for every socket, and
      // an upgrade socket is outside Node's HTTP bookkeeping: nothing else ever ends one.
      preClose(done) {
        closing = true;
        // A handshake already past routing (e.g. awaiting its credential check) is refused with
        // 503 and its socket destroyed by ws, instead of opening a connection nobody closes.
        scope.websocketServer.close();
        // Tell clients why (1001) instead of a bare close; terminate stragglers.
        for (const connection of connections) connection.shutdown();
        done();
      },
    });
    scope.route<WsRoute>({
      method: 'GET',
      url: '/ws',
      preValidation,
      handler: notUpgraded,
      wsHandler: (socket, request) => {
        const connection = new Connection(socket, deps, { kind: 'multiplex' });
        connection.begin(headerAccounts.get(request) ?? null);
      },
    });

    scope.route<WsRoute>({
      method: 'GET',
      url: '/ws/schedules/:id',
      preValidation,
      handler: notUpgraded,
      wsHandler: (socket, request) => {
        const since = parseSince(request.query.since);
        const connection = new Connection(socket, deps, { kind: 'schedule', scheduleId: request.params.id ?? '', since });
        if (since === 'invalid') {
          connection.sendControl({ type: 'error', code: 'validation_failed', message: 'since: expected a non-negative integer' });
          socket.close(WS_CLOSE.policy, 'invalid since');
          return;
        }
        connection.begin(headerAccounts.get(request) ?? null);
      },
    });
  });

  return { hub, options, connectionCount: () => connections.size };
}

type WsRoute = { Params: { id?: string }; Querystring: { since?: string } };

function parseSince(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) return 'invalid';
  return Number(value);
}

async function scheduleBelongs(ctx: ServerContext, accountId: string, scheduleId: string): Promise<boolean> {
  const row = await ctx.storage.db
    .selectFrom('schedules')
    .select('id')
    .where('id', '=', scheduleId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

interface ConnectionDeps {
  ctx: ServerContext;
  hub: LiveHub;
  options: ResolvedLiveOptions;
  resolveToken: TokenResolver;
  connections: Set<Connection>;
  log: FastifyBaseLogger;
  metrics: LiveMetrics;
  /** Authenticated connections per account, for the per-account cap. */
  perAccount: Map<string, number>;
}

type Mode = { kind: 'multiplex' } | { kind: 'schedule'; scheduleId: string; since: number | undefined | 'invalid' };

class TransportClosed extends Error {}

class Connection {
  private accountId: string | null = null;
  /** Kept to re-check on heartbeats: a revoked key or an expired token ends the connection. */
  private token: string | null = null;
  private countedFor: string | null = null;
  private revalidating = false;
  /** A re-check was asked for while one was running (which may have read from before a revocation). */
  private recheck = false;
  private stream: EventStream | null = null;
  private alive = true;
  private closed = false;
  private badMessages = 0;
  private authTimer: NodeJS.Timeout | null = null;
  /** Client messages are handled one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
    private readonly mode: Mode,
  ) {
    deps.connections.add(this);
    // Handlers are attached synchronously so no message is lost while auth runs.
    socket.on('message', (data, isBinary) => {
      this.alive = true;
      const text = isBinary ? null : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      this.chain = this.chain.then(() => this.handle(text)).catch((error: unknown) => this.fail(error));
    });
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('close', () => this.cleanup());
    socket.on('error', () => this.cleanup());
  }

  begin(header: { accountId: string; token: string } | null): void {
    if (header) {
      this.chain = this.chain.then(() => this.authenticated(header.accountId, header.token)).catch((error: unknown) => this.fail(error));
      return;
    }
    this.authTimer = setTimeout(() => {
      if (this.accountId || this.closed) return;
      this.sendControl({
        type: 'error',
        code: 'unauthorized',
        message: `not authenticated within ${Math.round(this.deps.options.authTimeoutMs / 1000)} s: send {"type":"auth","token":"…"} first, or connect with an Authorization: Bearer header`,
      });
      this.deps.metrics.dropped.inc({ reason: 'auth_timeout' });
      this.close(WS_CLOSE.unauthorized, 'authentication timeout');
    }, this.deps.options.authTimeoutMs);
  }

  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      // No pong since the last ping: the peer is gone or wedged.
      this.deps.metrics.dropped.inc({ reason: 'heartbeat' });
      this.socket.terminate();
      this.cleanup();
      return;
    }
    this.alive = false;
    try {
      this.socket.ping();
    } catch {
      this.socket.terminate();
      this.cleanup();
      return;
    }
    this.revalidate();
  }

  /** Re-resolves the connection's token; a revoked key or an expired token closes it (4401). */
  revalidate(): void {
    const { accountId, token } = this;
    if (!accountId || !token) return;
    if (this.revalidating) {
      this.recheck = true;
      return;
    }
    this.revalidating = true;
    this.recheck = false;
    this.deps
      .resolveToken(token)
      .then((current) => {
        if (current === accountId || this.closed) return;
        this.deps.metrics.dropped.inc({ reason: 'credentials' });
        this.sendControl({ type: 'error', code: 'unauthorized', message: 'the credentials of this connection were revoked or have expired: reconnect with a fresh token' });
        this.close(WS_CLOSE.unauthorized, 'credentials revoked or expired');
      })
      .catch(() => undefined)
      .finally(() => {
        this.revalidating = false;
        if (this.recheck && !this.closed) this.revalidate();
      });
  }

  shutdown(): void {
    if (this.closed) return;
    this.close(WS_CLOSE.goingAway, 'server shutting down');
    const socket = this.socket;
    setTimeout(() => socket.terminate(), 1000).unref();
  }

  sendControl(message: ServerControlMessage): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify(message));
  }

  private async handle(text: string | null): Promise<void> {
    if (this.closed) return;
    if (text === null) return this.reject('messages must be JSON text, not binary');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.reject('message is not valid JSON');
    }
    const parsed = ClientWsMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const detail = issuesToDetails(parsed.error)[0];
      return this.reject(detail ? `${detail.path}: ${detail.message}` : 'message is not valid');
    }
    const message = parsed.data;
    switch (message.type) {
      case 'ping':
        this.sendControl({ type: 'pong' });
        return;
      case 'auth': {
        if (this.accountId) return this.reject('already authenticated', 'conflict');
        const accountId = await this.deps.resolveToken(message.token);
        if (!accountId) {
          this.sendControl({ type: 'error', code: 'unauthorized', message: 'invalid or expired token' });
          this.close(WS_CLOSE.unauthorized, 'invalid token');
          return;
        }
        await this.authenticated(accountId, message.token);
        return;
      }
      case 'subscribe': {
        if (!this.accountId) return this.reject('authenticate first: send {"type":"auth","token":"…"}', 'unauthorized');
        if (this.mode.kind !== 'multiplex') {
          return this.reject('this endpoint streams one schedule; use /ws to choose schedules', 'validation_failed');
        }
        const schedules = message.schedules;
        const all = schedules.length === 1 && schedules[0] === '*';
        const wanted = new Set<string>(schedules);
        await this.subscribe(all ? null : wanted, message.since, all ? ['*'] : [...wanted]);
        return;
      }
    }
  }

  private async authenticated(accountId: string, token: string): Promise<void> {
    if (this.closed) return;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const open = this.deps.perAccount.get(accountId) ?? 0;
    if (open >= this.deps.options.maxConnectionsPerAccount) {
      this.deps.metrics.dropped.inc({ reason: 'too_many_connections' });
      this.sendControl({
        type: 'error',
        code: 'rate_limited',
        message: `too many live connections for this account (at most ${this.deps.options.maxConnectionsPerAccount}); close one or multiplex schedules on one /ws`,
      });
      this.close(WS_CLOSE.tooManyConnections, 'too many connections');
      return;
    }
    this.deps.perAccount.set(accountId, open + 1);
    this.countedFor = accountId;
    if (this.mode.kind === 'schedule') {
      if (!(await scheduleBelongs(this.deps.ctx, accountId, this.mode.scheduleId))) {
        this.sendControl({ type: 'error', code: 'not_found', message: 'schedule not found' });
        this.close(WS_CLOSE.notFound, 'schedule not found');
        return;
      }
    }
    this.accountId = accountId;
    this.token = token;
    this.sendControl({ type: 'authenticated', account_id: accountId });
    if (this.mode.kind === 'schedule') {
      const since = this.mode.since === 'invalid' ? undefined : this.mode.since;
      await this.subscribe(new Set([this.mode.scheduleId]), since, [this.mode.scheduleId]);
    }
  }

  /** Replaces any previous subscription of this connection. */
  private async subscribe(scheduleIds: Set<string> | null, since: number | undefined, echo: string[]): Promise<void> {
    const accountId = this.accountId;
    if (!accountId || this.closed) return;
    this.stream?.close();
    const stream = new EventStream({
      db: this.deps.ctx.storage.db,
      hub: this.deps.hub,
      accountId,
      filter: scheduleIds ? (event) => event.schedule_id !== null && scheduleIds.has(event.schedule_id) : () => true,
      send: (event) => this.sendEvent(event),
      maxQueued: this.deps.options.maxQueuedEvents,
      onError: (error) => this.fail(error),
    });
    this.stream = stream;
    try {
      const result = await stream.start(since);
      if (this.stream !== stream) return;
      if (result.kind === 'resync_required') {
        this.sendControl({ type: 'resync_required', head_seq: result.headSeq, oldest_seq: result.oldestSeq });
      }
      this.sendControl({ type: 'subscribed', schedules: echo, head_seq: result.headSeq });
      stream.follow();
    } catch (error) {
      stream.close();
      if (error instanceof TransportClosed) return;
      throw error;
    }
  }

  /** Sends one event, waiting a bounded time for a slow client before dropping it. */
  private async sendEvent(event: ServerEvent): Promise<void> {
    const { maxBufferedBytes, drainTimeoutMs } = this.deps.options;
    if (this.closed || this.socket.readyState !== this.socket.OPEN) throw new TransportClosed('closed');
    if (this.socket.bufferedAmount > maxBufferedBytes) {
      const deadline = Date.now() + drainTimeoutMs;
      while (this.socket.bufferedAmount > maxBufferedBytes / 2) {
        if (this.closed) throw new TransportClosed('closed');
        if (Date.now() >= deadline) {
          // Its buffer is full, so a close frame would not get through either.
          this.deps.metrics.dropped.inc({ reason: 'slow_consumer' });
          this.socket.terminate();
          this.cleanup();
          throw new TransportClosed('slow consumer');
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    this.socket.send(JSON.stringify(event));
    this.deps.metrics.eventsSent.inc();
  }

  private reject(message: string, code = 'validation_failed'): void {
    this.badMessages += 1;
    this.deps.metrics.invalidMessages.inc();
    this.sendControl({ type: 'error', code, message });
    if (this.badMessages > MAX_BAD_MESSAGES) this.close(WS_CLOSE.policy, 'too many invalid messages');
  }

  private fail(error: unknown): void {
    if (this.closed || error instanceof TransportClosed) return;
    this.sendControl({ type: 'error', code: 'internal', message: 'the live stream failed; reconnect with since' });
    this.deps.log.error({ err: error }, 'live stream failed');
    this.close(WS_CLOSE.internal, 'internal error');
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.stream?.close();
    this.stream = null;
    this.deps.connections.delete(this);
    if (this.countedFor) {
      const left = (this.deps.perAccount.get(this.countedFor) ?? 1) - 1;
      if (left > 0) this.deps.perAccount.set(this.countedFor, left);
      else this.deps.perAccount.delete(this.countedFor);
    }
    this.countedFor = null;
  }
}
