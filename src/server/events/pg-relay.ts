/**
 * Cross-process live updates on PostgreSQL: migration 004's trigger NOTIFYs
 * `cadence_events` with "<schema> <account_id>" when a transaction that appended events commits.
 * This listener holds one dedicated connection, LISTENs, and pokes the account's local
 * subscribers, which read the new events from the table. When the connection drops, it
 * reconnects with backoff and pokes everyone, since notifications sent meanwhile are lost.
 * The same connection LISTENs on `cadence_credentials` (migration 010: a key was revoked), so
 * the server forgets that key's cached credentials at once.
 */
import pg from 'pg';
import type { LiveHub } from './hub';

export const EVENTS_CHANNEL = 'cadence_events';
export const CREDENTIALS_CHANNEL = 'cadence_credentials';

export interface PgRelayOptions {
  connectionString: string;
  /** The schema this server's tables live in (notifications of other schemas are ignored). */
  schema: string;
  hub: LiveHub;
  log?: (message: string, error?: unknown) => void;
  /** A key of this schema was revoked (by any process). */
  onKeyRevoked?: (keyId: string) => void;
  /** Reconnected after being deaf: revocations may have been missed. */
  onReconnected?: () => void;
}

export class PgEventRelay {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryMs = 250;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: PgRelayOptions) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // Named, so an operator (or a test) can find this listener in pg_stat_activity.
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: `cadence-live ${this.options.schema}`.slice(0, 63) });
    client.on('notification', (message) => {
      if (!message.payload) return;
      const space = message.payload.indexOf(' ');
      if (space < 0 || message.payload.slice(0, space) !== this.options.schema) return;
      const subject = message.payload.slice(space + 1);
      if (message.channel === EVENTS_CHANNEL) this.options.hub.poke(subject);
      else if (message.channel === CREDENTIALS_CHANNEL) this.options.onKeyRevoked?.(subject);
    });
    client.on('error', (error) => {
      this.options.log?.('live-update listener connection failed', error);
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
      await client.query(`listen ${CREDENTIALS_CHANNEL}`);
    } catch (error) {
      this.options.log?.('live-update listener could not connect', error);
      this.scheduleReconnect(client);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = 250;
  }

  private scheduleReconnect(failed: pg.Client): void {
    if (this.stopped || this.reconnectTimer) return;
    if (this.client && this.client !== failed) return;
    this.client = null;
    failed.removeAllListeners('notification');
    void failed.end().catch(() => undefined);
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect().then(() => {
        // Whatever was committed while we were deaf is read from the table.
        if (this.client) {
          this.options.hub.pokeAll();
          this.options.onReconnected?.();
        }
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
