/**
 * The API's cross-cutting HTTP behaviour, in lifecycle order:
 *   onRequest   resolve the bearer credential → rate limit (account or IP) → 401 if required
 *   (parse)     JSON bodies keep their raw bytes
 *   preHandler  request signature (keys with a secret) → Idempotency-Key lock (POST)
 *   onSend      store the idempotent response before the client sees it
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context';
import { ApiError, sendError } from '../errors';
import { purgeExpiredTokens } from '../storage/tokens';
import { beginIdempotent, finishIdempotent, idempotencyKeyOf, purgeExpiredIdempotencyKeys, releaseIdempotent } from './idempotency';
import type { HttpMetrics } from './metrics';
import { principalCacheFor } from './principal-cache';
import type { ResolvedHttpOptions } from './options';
import { FixedWindowLimiter, applyRateLimit } from './rate-limit';
import { installRawJsonParser } from './raw-body';
import { isProtectedApiRoute } from './request';
import { purgeExpiredSignatures, verifySignature } from './signing';

export function bearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

export function installHttpLayer(app: FastifyInstance, ctx: ServerContext, options: ResolvedHttpOptions, metrics: HttpMetrics): void {
  installRawJsonParser(app);
  app.decorateRequest('principal', null);
  app.decorateRequest('idempotency', null);
  const limiter = options.rateLimit ? new FixedWindowLimiter(options.rateLimit) : null;
  const principals = principalCacheFor(ctx);

  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (token) {
      try {
        request.principal = await principals.resolve(token);
      } catch (error) {
        // Credentials cannot be checked while the database is down: say so instead of 401 or 500.
        request.log.error({ err: error }, 'credential lookup failed');
        if (isProtectedApiRoute(request)) return sendError(reply, request, new ApiError('unavailable', 'the service cannot check credentials right now; retry later'));
      }
    }
    if (limiter) {
      const decision = applyRateLimit(limiter, request, reply, ctx.clock.now());
      if (!decision.allowed) {
        metrics.rateLimited.inc();
        return sendError(reply, request, new ApiError('rate_limited', 'too many requests; wait for Retry-After seconds'));
      }
    }
    if (isProtectedApiRoute(request) && !request.principal) {
      return sendError(
        reply,
        request,
        new ApiError('unauthorized', token ? 'the API key or access token is not valid (or has expired)' : 'missing Authorization: Bearer <api key or access token>'),
      );
    }
    return undefined;
  });

  app.addHook('preHandler', async (request, reply) => {
    const principal = request.principal;
    if (!principal || !isProtectedApiRoute(request)) return undefined;
    if (principal.signingSecret) {
      await verifySignature(ctx.storage.db, request, principal.accountId, principal.signingSecret, ctx.clock.now());
    }
    if (request.method === 'POST') {
      const key = idempotencyKeyOf(request);
      if (key) {
        const proceed = await beginIdempotent(ctx.storage.db, request, reply, principal.accountId, key, options.idempotencyTtlMs, ctx.clock.now());
        if (!proceed) {
          metrics.idempotentReplays.inc();
          return reply;
        }
      }
    }
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.idempotency) return payload;
    try {
      await finishIdempotent(ctx.storage.db, request, reply, payload);
    } catch (error) {
      // The work is done; the client still gets its answer. The key stays locked until it is stale.
      request.log.error({ err: error }, 'could not store the idempotent response');
    }
    return payload;
  });
  app.addHook('onResponse', async (request) => {
    if (request.idempotency) await releaseIdempotent(ctx.storage.db, request).catch(() => undefined);
  });

  // Housekeeping: expired idempotency records, seen signatures and tokens.
  const sweep = setInterval(() => {
    const now = ctx.clock.now();
    void purgeExpiredIdempotencyKeys(ctx.storage.db, now).catch(() => undefined);
    void purgeExpiredSignatures(ctx.storage.db, now).catch(() => undefined);
    void purgeExpiredTokens(ctx.storage.db, now).catch(() => undefined);
  }, 10 * 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}
