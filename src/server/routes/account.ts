/**
 * Account self-service routes (docs/api.md, "Key management" and "Account webhook"): the
 * account's API keys, listed without secrets and revocable (another account's key id is a 404,
 * as everywhere), and the account's own webhook endpoint for dispatch.
 */
import type { FastifyInstance } from 'fastify';
import { WebhookConfigRequestSchema } from '../../shared/api/account';
import type { ServerContext } from '../context';
import { registrationProblem } from '../dispatch/outbound';
import { ApiError, parseOr400 } from '../errors';
import { principalCacheFor } from '../http/principal-cache';
import { accountOf, requirePrincipal } from '../http/request';
import { keyJson, listKeys, revokeKey } from '../storage/keys';
import { deleteWebhook, findWebhook, putWebhook, webhookJson } from '../storage/webhooks';

export interface AccountRouteOptions {
  /** The operator lets deliveries reach loopback (dispatcher allowLoopback): http://127.0.0.1 webhooks are accepted. */
  allowLoopback: boolean;
}

export function accountRoutes(app: FastifyInstance, ctx: ServerContext, options: AccountRouteOptions): void {
  const base = '/api/v1';

  app.get(`${base}/auth/keys`, async (request, reply) => {
    const principal = requirePrincipal(request);
    const rows = await listKeys(ctx.storage.db, principal.accountId);
    return reply.header('cache-control', 'no-store').send({ data: rows.map((row) => keyJson(row, principal.keyId)) });
  });

  app.delete<{ Params: { id: string } }>(`${base}/auth/keys/:id`, async (request, reply) => {
    const principal = requirePrincipal(request);
    const revoked = await revokeKey(ctx.storage.db, principal.accountId, request.params.id, ctx.clock.now());
    if (!revoked) throw ApiError.notFound(`API key ${request.params.id}`);
    // The key and its tokens stop working in this process now, open WebSockets included.
    principalCacheFor(ctx).keyRevoked(revoked.id);
    return reply.header('cache-control', 'no-store').send(keyJson(revoked, principal.keyId));
  });

  // ------------------------------------------------------------------ webhook
  app.get(`${base}/account/webhook`, async (request, reply) => {
    const row = await findWebhook(ctx.storage.db, accountOf(request));
    if (!row) throw ApiError.notFound('webhook (this account has none; deliveries use the server default)');
    return reply.header('cache-control', 'no-store').send(webhookJson(row, null, ctx.clock.now()));
  });

  app.put(`${base}/account/webhook`, async (request, reply) => {
    const accountId = accountOf(request);
    const input = parseOr400(WebhookConfigRequestSchema, request.body ?? {});
    const problem = registrationProblem(input.url, options.allowLoopback);
    if (problem) throw new ApiError('validation_failed', `url: ${problem}`, [{ path: 'url', message: problem }]);
    const result = await putWebhook(ctx.storage.db, accountId, input.url, input.rotate_secret ?? false, ctx.clock.now());
    return reply
      .status(result.created ? 201 : 200)
      .header('cache-control', 'no-store')
      .send(webhookJson(result.row, result.newSecret, ctx.clock.now()));
  });

  app.delete(`${base}/account/webhook`, async (request, reply) => {
    const row = await deleteWebhook(ctx.storage.db, accountOf(request));
    if (!row) throw ApiError.notFound('webhook');
    return reply.header('cache-control', 'no-store').send(webhookJson(row, null, ctx.clock.now()));
  });
}
