/**
 * Prometheus metrics for one server instance. Each server has its own Registry, so several servers
 * in one process (tests, the embedded app) never collide on metric names.
 *
 * Every request is counted and timed, so that path is plain arithmetic on per-route tallies:
 * prom-client's labelled inc/observe hash the label object on each call. The tallies become
 * prom-client series when /metrics is scraped.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Registry, type Metric } from 'prom-client';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface RouteTally {
  method: string;
  route: string;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
  statuses: Map<number, number>;
}

/** Request counts and durations by route template, method (and status for counts). */
export class RouteTallies {
  // route → method → tally: both keys are strings Fastify and Node reuse, so lookups hash nothing new.
  private readonly byRoute = new Map<string, Map<string, RouteTally>>();

  record(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.byRoute.set(route, byMethod);
    }
    let tally = byMethod.get(method);
    if (!tally) {
      tally = { method, route, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0, statuses: new Map() };
      byMethod.set(method, tally);
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
    tally.buckets[bucket]! += 1;
    tally.sum += seconds;
    tally.count += 1;
    tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
  }

  *tallies(): IterableIterator<RouteTally> {
    for (const byMethod of this.byRoute.values()) yield* byMethod.values();
  }

  reset(): void {
    this.byRoute.clear();
  }
}

interface SeriesValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** The duration histogram as prom-client's registry reads a metric (name, help, type, get()). */
function durationHistogram(tallies: RouteTallies) {
  const name = 'cadence_http_request_duration_seconds';
  return {
    name,
    help: 'HTTP request duration by method and route template',
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: SeriesValue[] = [];
      for (const t of tallies.tallies()) {
        let cumulative = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += t.buckets[i]!;
          values.push({ labels: { le, method: t.method, route: t.route }, value: cumulative, metricName: `${name}_bucket` });
        });
        values.push({ labels: { le: '+Inf', method: t.method, route: t.route }, value: t.count, metricName: `${name}_bucket` });
        values.push({ labels: { method: t.method, route: t.route }, value: t.sum, metricName: `${name}_sum` });
        values.push({ labels: { method: t.method, route: t.route }, value: t.count, metricName: `${name}_count` });
      }
      return Promise.resolve({ name, help: this.help, type: this.type, values, aggregator: this.aggregator });
    },
    reset() {
      tallies.reset();
    },
  };
}

export interface HttpMetrics {
  registry: Registry;
  /** Records one finished request; called for every response. */
  observe(method: string, route: string, status: number, seconds: number): void;
  rateLimited: Counter<string>;
  idempotentReplays: Counter<string>;
}

export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  const tallies = new RouteTallies();
  new Counter({
    name: 'cadence_http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tallies.tallies()) {
        for (const [status, count] of t.statuses) this.inc({ method: t.method, route: t.route, status: String(status) }, count);
      }
    },
  });
  // Not a prom-client class, but exactly what its registry reads from one (see durationHistogram).
  registry.registerMetric(durationHistogram(tallies) as unknown as Metric);
  return {
    registry,
    observe: (method, route, status, seconds) => tallies.record(method, route, status, seconds),
    rateLimited: new Counter({ name: 'cadence_http_rate_limited_total', help: 'Requests refused with 429', registers: [registry] }),
    idempotentReplays: new Counter({
      name: 'cadence_idempotent_replays_total',
      help: 'Responses replayed from a stored Idempotency-Key',
      registers: [registry],
    }),
  };
}

/** GET /metrics. Requests are recorded by the HTTP layer's one onResponse hook (http/index.ts). */
export function installMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
