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
  // Labelled children are looked up once per (method, route, status): prom-client would otherwise
  // hash the label object on every request.
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, not the URL: ids would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    const status = String(reply.statusCode);
    const routeKey = `${method} ${route}`;
    const countKey = `${routeKey} ${status}`;
    let counter = counters.get(countKey);
    if (!counter) {
      counter = metrics.requests.labels({ method, route, status });
      counters.set(countKey, counter);
    }
    let histogram = histograms.get(routeKey);
    if (!histogram) {
      histogram = metrics.duration.labels({ method, route });
      histograms.set(routeKey, histogram);
    }
    counter.inc();
    histogram.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
