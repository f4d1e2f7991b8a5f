/** Prometheus metrics of the dispatcher, registered in the server's registry (GET /metrics). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface DispatchMetrics {
  transitions: Counter<'status'>;
  attempts: Counter<'outcome'>;
  lateness: Histogram<string>;
  inFlight: Gauge<string>;
  callbacks: Counter<'outcome'>;
  dueSoon: Counter<string>;
}

export function createDispatchMetrics(registry: Registry = new Registry(), inFlight: () => number = () => 0): DispatchMetrics {
  return {
    transitions: new Counter({ name: 'cadence_dispatch_transitions_total', help: 'Item status changes made by the dispatcher', labelNames: ['status'], registers: [registry] }),
    attempts: new Counter({ name: 'cadence_dispatch_attempts_total', help: 'Publish attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
    lateness: new Histogram({
      name: 'cadence_dispatch_fire_lateness_seconds',
      help: 'Time from an item\'s scheduled_time to its claim (never negative)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'cadence_dispatch_in_flight',
      help: 'Deliveries (items and callbacks) in flight in this process',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    }),
    callbacks: new Counter({ name: 'cadence_dispatch_callbacks_total', help: 'Callback attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
    dueSoon: new Counter({ name: 'cadence_dispatch_due_soon_total', help: 'item.due_soon events sent', registers: [registry] }),
  };
}
