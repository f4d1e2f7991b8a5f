/** Test helpers for live updates: a recording WebSocket client and an event writer. */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { ServerEvent, ServerWsMessage } from '../../shared/api/events';
import type { CadenceServer } from '../app';
import { appendEvent } from './log';

export interface RecordingClient {
  ws: WebSocket;
  messages: ServerWsMessage[];
  events(): ServerEvent[];
  send(message: unknown): void;
  /** Resolves with the first message (from `from` on) matching, or rejects after timeoutMs. */
  waitFor(predicate: (message: ServerWsMessage) => boolean, timeoutMs?: number): Promise<ServerWsMessage>;
  waitForEvents(count: number, timeoutMs?: number): Promise<ServerEvent[]>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}

export async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<RecordingClient> {
  const ws = new WebSocket(url, options);
  const messages: ServerWsMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as ServerWsMessage);
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
  const isEvent = (m: ServerWsMessage): m is ServerEvent => 'seq' in m;
  const client: RecordingClient = {
    ws,
    messages,
    events: () => messages.filter(isEvent),
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (ws.readyState === WebSocket.CLOSED) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`socket closed while waiting; got ${JSON.stringify(messages).slice(0, 500)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; got ${JSON.stringify(messages).slice(0, 500)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async waitForEvents(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (client.events().length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${client.events().length}`);
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed after ${client.events().length} events`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return client.events();
    },
    closed,
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return client;
}

/** Inserts a schedule row directly (the calendar routes are someone else's; the dispatcher and
 * live updates only need the rows). */
export async function insertSchedule(server: CadenceServer, accountId: string, options: { processingDeadlineMs?: number } = {}): Promise<string> {
  const id = `sch_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const now = new Date().toISOString();
  await server.context.storage.db
    .insertInto('schedules')
    .values({
      id,
      account_id: accountId,
      title: 'test',
      timezone: 'UTC',
      status: 'active',
      processing_deadline_ms: options.processingDeadlineMs ?? 3 * 3600_000,
      version: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** Appends `count` events in their own transactions and publishes each after commit. */
export async function emitEvents(
  server: CadenceServer,
  accountId: string,
  count: number,
  scheduleId: string | null = null,
): Promise<ServerEvent[]> {
  const out: ServerEvent[] = [];
  for (let i = 0; i < count; i++) {
    const event = await server.context.storage.db
      .transaction()
      .execute((trx) => appendEvent(trx, accountId, { type: 'schedule.updated', schedule_id: scheduleId, data: { n: i } }));
    server.context.events.publish(accountId, [event]);
    out.push(event);
  }
  return out;
}
