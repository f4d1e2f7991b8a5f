/**
 * CORS for browser clients (the guide's React/Vue snippets call the API from a web page).
 * Off unless origins are configured: the embedded server listens on loopback, and a page on an
 * arbitrary site has no business reading even its health. Bearer tokens, never cookies, so
 * credentials mode is not enabled.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type CorsOrigins = '*' | string[];

const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, If-Match, X-Signature, X-Timestamp, X-Request-Id';
const EXPOSED_HEADERS =
  'X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Idempotent-Replayed, ETag, Location, WWW-Authenticate';

function allowedOrigin(origins: CorsOrigins, origin: string | undefined): string | null {
  if (!origin) return null;
  if (origins === '*') return '*';
  return origins.includes(origin) ? origin : null;
}

function setOrigin(reply: FastifyReply, origins: CorsOrigins, allowed: string): void {
  reply.header('Access-Control-Allow-Origin', allowed);
  if (origins !== '*') reply.header('Vary', 'Origin');
}

export function installCors(app: FastifyInstance, origins: CorsOrigins | undefined): void {
  if (!origins || (Array.isArray(origins) && origins.length === 0)) return;
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    const allowed = allowedOrigin(origins, request.headers.origin);
    if (allowed) {
      setOrigin(reply, origins, allowed);
      reply.header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    done();
  });
  // Preflights: answered for every path, without credentials (browsers never send them here).
  app.options('/*', { config: { public: true } }, async (request, reply) => {
    const allowed = allowedOrigin(origins, request.headers.origin);
    if (!allowed) return reply.status(204).send();
    return reply
      .status(204)
      .header('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE, OPTIONS')
      .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .header('Access-Control-Max-Age', '600')
      .send();
  });
}
