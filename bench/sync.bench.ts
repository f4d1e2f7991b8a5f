/**
 * The initial load (docs/cache.md, "Loading"): 500 schedules × 5 items from the real server,
 * into a fresh cache, on loopback and through the fault proxy with 10 ms each way (a remote
 * server ~20 ms away):
 *   - paged: SyncService.fullLoad, list pages with expand=items (what the client does);
 *   - per schedule: the previous way, list pages without items then one GET …?expand=items per
 *     schedule, written with replaceAll.
 * Figures: wall time and the requests the server received for each. Measures only; never asserts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Item, Schedule } from '../src/shared/api/resources';
import { HttpClient } from '../src/main/services/api-client/http-client';
import { SchedulingApi } from '../src/main/services/api-client/scheduling-api';
import { CacheStore } from '../src/main/services/cache/cache-store';
import { openCacheDatabase } from '../src/main/services/cache/database';
import { OutboxStore } from '../src/main/services/outbox/outbox';
import { SyncService } from '../src/main/services/sync/sync-service';
import { startApiServer, type ApiServer } from '../src/main/testing/api-server';
import { startFaultProxy } from '../src/main/testing/fault-proxy';

const SCHEDULES = 500;
const ITEMS = 5;

function freshCache(): { cache: CacheStore; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cadence-bench-sync-'));
  const opened = openCacheDatabase(dir);
  const cache = new CacheStore(opened.db, opened.problem);
  return {
    cache,
    remove: () => {
      opened.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function clientFor(server: ApiServer, baseUrl: string): SchedulingApi {
  return new SchedulingApi(new HttpClient({ baseUrl, apiKey: server.apiKey, clock: { now: () => Date.now() } }));
}

function calendarRequests(server: ApiServer, from: number): number {
  return server.requests.slice(from).filter((r) => r.url.startsWith('/api/v1/scheduling/calendar')).length;
}

async function paged(server: ApiServer, baseUrl: string): Promise<{ ms: number; requests: number; items: number }> {
  const { cache, remove } = freshCache();
  try {
    const sync = new SyncService({ cache, outbox: new OutboxStore(cache), clock: { now: () => Date.now() }, emit: () => undefined, live: { enabled: false } });
    sync.setTarget({ api: clientFor(server, baseUrl), wsUrl: `${baseUrl.replace('http', 'ws')}/ws`, wsToken: async () => server.apiKey });
    const before = server.requests.length;
    const started = performance.now();
    await sync.fullLoad(null);
    const ms = performance.now() - started;
    return { ms: Math.round(ms), requests: calendarRequests(server, before), items: cache.range(0, Date.parse('2100-01-01T00:00:00Z')).length };
  } finally {
    remove();
  }
}

async function perSchedule(server: ApiServer, baseUrl: string): Promise<{ ms: number; requests: number; items: number }> {
  const { cache, remove } = freshCache();
  try {
    const api = clientFor(server, baseUrl);
    const before = server.requests.length;
    const started = performance.now();
    const schedules: Schedule[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.listSchedules({ limit: 200, ...(cursor ? { cursor } : {}) });
      schedules.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    const items: Item[] = [];
    for (const schedule of schedules) items.push(...((await api.getSchedule(schedule.id, true)).items ?? []));
    cache.write(() => cache.replaceAll(schedules, items));
    const ms = performance.now() - started;
    return { ms: Math.round(ms), requests: calendarRequests(server, before), items: cache.range(0, Date.parse('2100-01-01T00:00:00Z')).length };
  } finally {
    remove();
  }
}

export default async function bench(): Promise<Record<string, unknown>> {
  const server = await startApiServer();
  const proxy = await startFaultProxy(server.port);
  try {
    const base = Date.parse('2031-01-01T00:00:00Z');
    for (let s = 0; s < SCHEDULES; s++) {
      const items = Array.from({ length: ITEMS }, (_, i) => ({
        content_id: `c${s}-${i}`,
        platform: 'youtube',
        scheduled_time: new Date(base + (s * ITEMS + i) * 3_600_000).toISOString(),
      }));
      const created = await server.send('POST', '/api/v1/scheduling/calendar', { title: `S${s}`, timezone: 'UTC', items });
      if (created.status !== 201) throw new Error(`seeding failed: ${created.status}`);
    }
    const figures: Record<string, unknown> = { schedules: SCHEDULES, items_per_schedule: ITEMS };
    figures.loopback = { paged: await paged(server, server.url), per_schedule: await perSchedule(server, server.url) };
    proxy.setMode({ kind: 'delay', ms: 10 });
    figures.remote_20ms_rtt = { paged: await paged(server, proxy.url), per_schedule: await perSchedule(server, proxy.url) };
    return figures;
  } finally {
    await proxy.close();
    await server.close();
  }
}
