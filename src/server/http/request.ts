/** What the HTTP hooks attach to a request, and the per-route flags they read. */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors';
import type { Principal } from '../storage/tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (signatures and idempotency fingerprints hash it). */
    rawBody: Buffer | null;
    principal: Principal | null;
    /** Set while this request holds an Idempotency-Key lock. */
    idempotency: { accountId: string; key: string } | null;
  }
  interface FastifyContextConfig {
    /** No credentials needed (health, metrics, openapi, token exchange). */
    public?: boolean;
  }
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError('unauthorized', 'missing or invalid credentials');
  return request.principal;
}

export function accountOf(request: FastifyRequest): string {
  return requirePrincipal(request).accountId;
}

/** Whether the API's auth, signing and idempotency apply: everything under /api/ not marked public. */
export function isProtectedApiRoute(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') && request.routeOptions.config?.public !== true && request.routeOptions.url !== undefined;
}
