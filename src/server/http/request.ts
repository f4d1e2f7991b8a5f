/** What the HTTP hooks attach to a request, and the per-route flags they read. */
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import { ApiError } from '../errors';
import type { Principal } from '../storage/tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (signatures and idempotency fingerprints hash it). */
    rawBody: Buffer | null;
    principal: Principal | null;
    /** Set while this request holds an Idempotency-Key lock. */
    idempotency: { accountId: string; key: string } | null;
    /** The matched route (null when none matched: a 404). */
    routeInfo: RouteInfo | null;
    /** The bearer credential could not be checked (database down). */
    credentialsUnavailable: boolean;
  }
  interface FastifyContextConfig {
    /** No credentials needed (health, metrics, openapi, token exchange). */
    public?: boolean;
  }
}

/**
 * What the hooks need to know about a route, computed once when it is added: Fastify's
 * request.routeOptions builds a new object (and asks the router about constraints) on each read.
 */
export interface RouteInfo {
  /** The route template (`/api/v1/scheduling/calendar/:id`): the metrics label. */
  url: string;
  /** The API's auth, signing and idempotency apply: under /api/ and not marked public. */
  protected: boolean;
}

export function routeInfoFor(url: string, config: FastifyContextConfig | undefined): RouteInfo {
  return { url, protected: url.startsWith('/api/') && config?.public !== true };
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError('unauthorized', 'missing or invalid credentials');
  return request.principal;
}

export function accountOf(request: FastifyRequest): string {
  return requirePrincipal(request).accountId;
}
