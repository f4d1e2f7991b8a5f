/**
 * The API's cross-cutting HTTP behaviour, in lifecycle order:
 *   onRequest   request id header and logger → resolve the bearer credential → rate limit
 *               (account or IP) → 401/503 if the route requires credentials; one route-level
 *               hook per route (and the 404 handler's), so the route is known and no other
 *               hook runs before it
 *   (parse)     JSON bodies keep their raw bytes
 *   preHandler  request signature (keys with a secret) → Idempotency-Key lock (POST)
 *   onSend      store the idempotent response before the client sees it
 *   onResponse  release a lock left behind, record metrics
 * Hooks take callbacks and go asynchronous only when there is I/O to wait for.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type pino from 'pino';
import type { ServerContext } from '../context';
import { ApiError, notFoundHandler, sendError } from '../errors';
import { purgeExpiredTokens, type Principal } from '../storage/tokens';
import { beginIdempotent, finishIdempotent, idempotencyKeyOf, purgeExpiredIdempotencyKeys, releaseIdempotent } from './idempotency';
import { installCors } from './cors';
import type { HttpMetrics } from './metrics';
import { principalCacheFor } from './principal-cache';
import type { ResolvedHttpOptions } from './options';
import { MemoryRateLimiter, SharedRateLimiter, purgeExpiredRateLimitWindows, setRateLimitHeaders, type RateDecision } from './rate-limit';
import { installRawJsonParser } from './raw-body';
import { RequestLogger } from './request-log';
import { routeInfoFor, type RouteInfo } from './request';
import { purgeExpiredSignatures, verifySignature } from './signing';

export function bearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function installHttpLayer(app: FastifyInstance, ctx: ServerContext, options: ResolvedHttpOptions, metrics: HttpMetrics, logger: pino.Logger | null): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('idempotency', null);
  app.decorateRequest('routeInfo', null);
  app.decorateRequest('credentialsUnavailable', false);
  // Before any route is added (CORS adds one): every route gets the request hook with its
  // RouteInfo, and protected routes their signature and Idempotency-Key hooks, as route-level
  // hooks. Public routes (health, metrics) thus skip the preHandler and onSend phases altogether.
  app.addHook('onRoute', (route) => {
    const info = routeInfoFor(route.url, route.config);
    const isWebSocket = Boolean((route as { websocket?: boolean }).websocket ?? (route as { wsHandler?: unknown }).wsHandler);
    // New arrays: a GET and its HEAD route share the options they were declared with.
    route.onRequest = [...asArray(route.onRequest), requestHook(info, !isWebSocket)];
    if (info.protected) {
      // First among the route's own hooks, as a global hook would be.
      route.preHandler = [guardHook, ...asArray(route.preHandler)];
      route.onSend = [storeIdempotentHook, ...asArray(route.onSend)];
    }
  });
  installRawJsonParser(app);
  installCors(app, options.corsOrigins);
  const rateLimit = options.rateLimit;
  // One database, several processes (PostgreSQL): the counters live in the database. The memory
  // limiter is the only one on SQLite, and the fallback while the database cannot count.
  const memoryLimiter = rateLimit ? new MemoryRateLimiter(rateLimit) : null;
  const sharedLimiter = rateLimit && ctx.storage.dialect === 'postgres' ? new SharedRateLimiter(ctx.storage.db, rateLimit) : null;
  const limitHeader = rateLimit ? String(rateLimit.limit) : '';
  const principals = principalCacheFor(ctx);

  /**
   * An Upgrade request on a route that does not speak WebSocket (@fastify/websocket routes it
   * like any other, on a socket taken from Node's HTTP server): the socket closes with the answer.
   */
  function closeAfterResponse(reply: FastifyReply): void {
    reply.header('connection', 'close');
    reply.raw.once('finish', () => reply.raw.socket?.destroy());
  }

  /** Rate limit, then the credential check on protected routes; replies itself (429, 401, 503) or calls done(). */
  function admit(request: FastifyRequest, reply: FastifyReply, isProtected: boolean, done: () => void): void {
    const principal = request.principal;
    if (principal && logger) {
      // Every later log line of this request (including "request completed") names the account;
      // without a logger there is nothing to bind.
      request.log = request.log.child({ account_id: principal.accountId });
      reply.log = request.log;
    }
    if (!memoryLimiter) {
      proceed(request, reply, isProtected, done);
      return;
    }
    const nowMs = ctx.clock.now();
    const subject = principal ? 'account' : 'ip';
    const key = principal ? principal.accountId : request.ip;
    if (!sharedLimiter) {
      limited(request, reply, memoryLimiter.hit(subject, key, nowMs), nowMs, isProtected, done);
      return;
    }
    sharedLimiter.hit(subject, key, nowMs).then(
      (decision) => limited(request, reply, decision, nowMs, isProtected, done),
      (error: unknown) => {
        request.log.error({ err: error }, 'shared rate limit unavailable; counting in this process');
        limited(request, reply, memoryLimiter.hit(subject, key, nowMs), nowMs, isProtected, done);
      },
    );
  }

  function limited(request: FastifyRequest, reply: FastifyReply, decision: RateDecision, nowMs: number, isProtected: boolean, done: () => void): void {
    setRateLimitHeaders(reply, decision, limitHeader, nowMs);
    if (!decision.allowed) {
      metrics.rateLimited.inc();
      sendError(reply, request, new ApiError('rate_limited', 'too many requests; wait for Retry-After seconds'));
      return;
    }
    proceed(request, reply, isProtected, done);
  }

  function proceed(request: FastifyRequest, reply: FastifyReply, isProtected: boolean, done: () => void): void {
    if (isProtected) authorize(request, reply, done);
    else done();
  }

  /** Protected routes: 503 when credentials could not be checked, 401 without a valid one. */
  function authorize(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (request.principal) {
      done();
    } else if (request.credentialsUnavailable) {
      // Credentials cannot be checked while the database is down: say so instead of 401 or 500.
      sendError(reply, request, new ApiError('unavailable', 'the service cannot check credentials right now; retry later'));
    } else {
      const sent = request.headers.authorization !== undefined;
      sendError(
        reply,
        request,
        new ApiError('unauthorized', sent ? 'the API key or access token is not valid (or has expired)' : 'missing Authorization: Bearer <api key or access token>'),
      );
    }
  }

  /**
   * The one onRequest hook of ours on each route: request id header, the request's logger,
   * the credential, then the rate limit (and, on protected routes, the credential check).
   * `closesUpgrades`: on every route but the WebSocket ones, a request that came in as an
   * Upgrade is answered over HTTP and its socket, which Node no longer manages, closed after.
   */
  function requestHook(info: RouteInfo, closesUpgrades: boolean): onRequestHookHandler {
    const isProtected = info.protected;
    return (request, reply, done) => {
      request.routeInfo = info;
      // Lower case: Fastify lower-cases header names anyway, and an already lower-case name costs nothing.
      reply.header('x-request-id', request.id);
      if (logger) {
        const log = new RequestLogger(logger, request.id);
        request.log = log;
        reply.log = log;
      }
      if (closesUpgrades && (request.raw as IncomingMessage & { upgrade?: boolean }).upgrade === true) closeAfterResponse(reply);
      const token = bearerToken(request.headers.authorization);
      const cached = token ? principals.cached(token) : null;
      if (!token || cached !== undefined) {
        request.principal = cached ?? null;
        admit(request, reply, isProtected, done);
        return;
      }
      principals.resolve(token).then(
        (principal) => {
          request.principal = principal;
          admit(request, reply, isProtected, done);
        },
        (error: unknown) => {
          // Protected routes answer 503 (authorize); public ones are served without an account.
          request.log.error({ err: error }, 'credential lookup failed');
          request.credentialsUnavailable = true;
          admit(request, reply, isProtected, done);
        },
      );
    };
  }
  // Fastify runs every lifecycle hook given here for unmatched requests, onRequest included,
  // though its types list only preValidation and preHandler; operations.test.ts checks the 404's
  // headers, so a Fastify that stopped doing so would fail there.
  const notFoundOptions = { onRequest: requestHook(routeInfoFor('unmatched', { public: true }), true) };
  app.setNotFoundHandler(notFoundOptions as Parameters<FastifyInstance['setNotFoundHandler']>[0], notFoundHandler);

  // Callback-style hooks where most requests have nothing to do: no promise per request.
  function guardHook(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    const principal = request.principal;
    if (!principal || (!principal.signingSecret && request.method !== 'POST')) {
      done();
      return;
    }
    guard(request, reply, principal).then(
      (proceed) => {
        if (proceed) done();
      },
      (error: unknown) => done(error as Error),
    );
  }

  /** Signature, then the Idempotency-Key lock; false when a reply (a replay) was already sent. */
  async function guard(request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<boolean> {
    if (principal.signingSecret) {
      await verifySignature(ctx.storage.db, request, principal.accountId, principal.signingSecret, ctx.clock.now());
    }
    if (request.method !== 'POST') return true;
    const key = idempotencyKeyOf(request);
    if (!key) return true;
    const proceed = await beginIdempotent(ctx.storage.db, request, reply, principal.accountId, key, options.idempotencyTtlMs, ctx.clock.now());
    if (!proceed) metrics.idempotentReplays.inc();
    return proceed;
  }

  function storeIdempotentHook(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload: unknown) => void): void {
    if (!request.idempotency) {
      done(null, payload);
      return;
    }
    finishIdempotent(ctx.storage.db, request, reply, payload).then(
      () => done(null, payload),
      (error: unknown) => {
        // The work is done; the client still gets its answer. The key stays locked until it is stale.
        request.log.error({ err: error }, 'could not store the idempotent response');
        done(null, payload);
      },
    );
  }
  // The one hook after the response: a lock left behind, then metrics.
  app.addHook('onResponse', (request, reply, done) => {
    if (request.idempotency) void releaseIdempotent(ctx.storage.db, request).catch(() => undefined);
    // The route template, not the URL: ids would explode the label set.
    metrics.observe(request.method, request.routeInfo?.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  // Housekeeping: expired idempotency records, seen signatures, tokens and rate-limit windows.
  const sweep = setInterval(() => {
    const now = ctx.clock.now();
    void purgeExpiredIdempotencyKeys(ctx.storage.db, now).catch(() => undefined);
    void purgeExpiredSignatures(ctx.storage.db, now).catch(() => undefined);
    void purgeExpiredTokens(ctx.storage.db, now).catch(() => undefined);
    if (sharedLimiter) void purgeExpiredRateLimitWindows(ctx.storage.db, now).catch(() => undefined);
  }, 10 * 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}
