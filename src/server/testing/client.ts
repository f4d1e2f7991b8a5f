/** A tiny fetch wrapper for tests against a TestServer. */
import type { TestServer } from './servers';

export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as-is instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
  /** Use this bearer token instead of the test account's API key; null sends no Authorization. */
  token?: string | null;
}

export async function call<T = unknown>(t: TestServer, method: string, path: string, options: CallOptions = {}): Promise<TestResponse<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? t.apiKey : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const response = await fetch(`${t.url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as T };
}

export function sampleSchedule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Launch week',
    timezone: 'America/New_York',
    items: [
      { content_id: 'video_1', platform: 'youtube', scheduled_time: '2026-12-01T18:00:00Z' },
      { content_id: 'clip_1', platform: 'tiktok', channel: 'tiktok:@brand', scheduled_time: '2026-12-02T15:00:00-05:00' },
    ],
    ...overrides,
  };
}

/** Counts rows of the tables a write could touch, to prove a rejected request wrote nothing. */
const COUNTED_TABLES = ['schedules', 'items', 'events', 'metric_observations', 'optimizations', 'idempotency_keys'] as const;
export type RowCounts = Record<(typeof COUNTED_TABLES)[number], number>;

export async function rowCounts(t: TestServer): Promise<RowCounts> {
  const db = t.server.context.storage.db;
  const out = {} as RowCounts;
  for (const table of COUNTED_TABLES) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}
