/** Prometheus metrics of live updates, registered in the server's registry (GET /metrics). */
import { Counter, Gauge, Registry } from 'prom-client';

export interface LiveMetrics {
  connections: Gauge<string>;
  eventsSent: Counter<string>;
  dropped: Counter<'reason'>;
  invalidMessages: Counter<string>;
}

export function createLiveMetrics(registry: Registry = new Registry(), connectionCount: () => number = () => 0): LiveMetrics {
  return {
    connections: new Gauge({
      name: 'cadence_ws_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
      collect() {
        this.set(connectionCount());
      },
    }),
    eventsSent: new Counter({ name: 'cadence_ws_events_sent_total', help: 'Events sent to WebSocket clients (replayed and live)', registers: [registry] }),
    dropped: new Counter({
      name: 'cadence_ws_dropped_total',
      help: 'Connections the server ended: slow consumer, missed heartbeat, auth timeout',
      labelNames: ['reason'],
      registers: [registry],
    }),
    invalidMessages: new Counter({ name: 'cadence_ws_invalid_messages_total', help: 'Client messages answered with an error', registers: [registry] }),
  };
}
