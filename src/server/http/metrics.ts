/**
 * Prometheus metrics for one server instance. Each server has its own Registry, so several servers
 * in one process (tests, the embedded app) never collide on metric names.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  rateLimited: Counter<string>;
  idempotentReplays: Counter<string>;
}

export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: 'cadence_http_requests_total',
      help: 'HTTP requests by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'cadence_http_request_duration_seconds',
      help: 'HTTP request duration by method and route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rateLimited: new Counter({ name: 'cadence_http_rate_limited_total', help: 'Requests refused with 429', registers: [registry] }),
    idempotentReplays: new Counter({
      name: 'cadence_idempotent_replays_total',
      help: 'Responses replayed from a stored Idempotency-Key',
      registers: [registry],
    }),
  };
}

export function installMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    // The route template, not the URL: ids would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    metrics.requests.inc({ method: request.method, route, status });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
