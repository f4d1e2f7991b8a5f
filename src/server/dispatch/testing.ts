/** Test helpers for the dispatcher: a real HTTP receiver on loopback, and item creation via the API. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Schedule } from '../../shared/api/resources';

export interface Received {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides the status of each request (default 200); may delay. */
  respond: (request: Received, index: number) => number | Promise<number>;
  close(): Promise<void>;
}

export async function startReceiver(respond?: Receiver['respond']): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    respond: respond ?? (() => 200),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = { at: Date.now(), path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = received.push(entry) - 1;
      Promise.resolve(receiver.respond(entry, index)).then(
        (status) => {
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

export interface NewTestItem {
  content_id?: string;
  platform?: 'youtube' | 'tiktok' | 'instagram' | 'linkedin';
  scheduled_time: string;
  callbacks?: { on_published?: string; on_failed?: string };
}

/** Creates a schedule through the real API and returns it with its items. */
export async function createScheduleViaApi(
  baseUrl: string,
  headers: Record<string, string>,
  items: NewTestItem[],
  extra: { processing_deadline_ms?: number } = {},
): Promise<Schedule> {
  const response = await fetch(`${baseUrl}/api/v1/scheduling/calendar`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      title: 'dispatch test',
      timezone: 'UTC',
      items: items.map((item, i) => ({ content_id: item.content_id ?? `c${i}`, platform: item.platform ?? 'tiktok', ...item })),
      ...extra,
    }),
  });
  const body = (await response.json()) as Schedule;
  if (response.status !== 201) throw new Error(`create schedule: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
