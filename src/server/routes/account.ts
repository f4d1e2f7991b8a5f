/**
 * Account self-service routes (docs/api.md, "Key management"): the account's API keys, listed
 * without secrets and revocable. Another account's key id is a 404, as everywhere.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context';
import { ApiError } from '../errors';
import { principalCacheFor } from '../http/principal-cache';
import { requirePrincipal } from '../http/request';
import { keyJson, listKeys, revokeKey } from '../storage/keys';

export function accountRoutes(app: FastifyInstance, ctx: ServerContext): void {
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
}
