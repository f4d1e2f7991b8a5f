// Sync, live events and the outbox end to end: a real core (remote mode) against the real
// server on loopback, through the fault proxy where the network has to break.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Schedule } from '../../../shared/api/resources';
import type { CalendarItem, SyncStatus } from '../../../shared/bridge';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { FAST_TUNING, startClientCore, waitFor, type ClientCore } from '../../testing/client-core';
import { startFaultProxy, type FaultProxy } from '../../testing/fault-proxy';
import { tempDir } from '../../testing/temp';
import { pruneEvents } from '../../../server/events/retention';
import { SYNC_PAGE_SIZE } from './sync-service';

const HOUR = 3600_000;
const future = (hours: number) => new Date(Math.floor(Date.now() / HOUR) * HOUR + hours * HOUR).toISOString().replace('.000Z', 'Z');

async function serverSchedule(api: ApiServer, title: string, count: number): Promise<Schedule> {
  const items = Array.from({ length: count }, (_, i) => ({ content_id: `${title}-${i}`, platform: 'youtube', scheduled_time: future(24 + i * 5) }));
  const created = await api.send<Schedule>('POST', '/api/v1/scheduling/calendar', { title, timezone: 'UTC', items });
  expect(created.status).toBe(201);
  return created.body;
}

async function serverState(api: ApiServer): Promise<Map<string, { version: number; time: string; status: string }>> {
  const state = new Map<string, { version: number; time: string; status: string }>();
  const list = await api.get<{ data: Schedule[] }>('/api/v1/scheduling/calendar?limit=200');
  for (const schedule of list.data) {
    const full = await api.get<Schedule>(`/api/v1/scheduling/calendar/${schedule.id}?expand=items`);
    for (const item of full.items ?? []) state.set(item.id, { version: item.version, time: item.scheduled_time, status: item.status });
  }
  return state;
}

function cacheState(client: ClientCore): Map<string, { version: number; time: string; status: string }> {
  const state = new Map<string, { version: number; time: string; status: string }>();
  for (const item of client.core.services.cache.range(0, Date.parse('2100-01-01T00:00:00Z'))) {
    state.set(item.id, { version: item.version, time: item.scheduled_time, status: item.status });
  }
  return state;
}

/** The list pages of the initial and delta loads the server received (the test's own lists have no expand). */
function loadPages(api: ApiServer, from: number): string[] {
  return api.requests
    .slice(from)
    .map((r) => r.url)
    .filter((url) => url.startsWith('/api/v1/scheduling/calendar?') && url.includes('expand=items'));
}

/** Every request for schedules or items between two points of the log. */
function calendarRequests(api: ApiServer, from: number, to = api.requests.length): string[] {
  return api.requests
    .slice(from, to)
    .map((r) => r.url)
    .filter((url) => url.startsWith('/api/v1/scheduling/calendar'));
}

async function schedulesMatch(client: ClientCore, api: ApiServer): Promise<boolean> {
  const list = await api.get<{ data: Schedule[] }>('/api/v1/scheduling/calendar?limit=200');
  const server = list.data.map((s) => JSON.stringify([s.id, s.title, s.version, s.status, s.updated_at]));
  const cache = client.core.services.cache
    .listSchedules()
    .map(({ record: s }) => JSON.stringify([s.id, s.title, s.version, s.status, s.updated_at]));
  return JSON.stringify(server.sort()) === JSON.stringify(cache.sort());
}

async function converged(client: ClientCore, api: ApiServer): Promise<boolean> {
  const [server, cache] = [await serverState(api), cacheState(client)];
  if (server.size !== cache.size) return false;
  for (const [id, value] of server) if (JSON.stringify(cache.get(id)) !== JSON.stringify(value)) return false;
  return true;
}

describe('sync', () => {
  let api: ApiServer;
  let proxy: FaultProxy;
  let client: ClientCore | null = null;

  beforeEach(async () => {
    api = await startApiServer({ live: { heartbeatMs: 500 } });
    proxy = await startFaultProxy(api.port);
  });
  afterEach(async () => {
    await client?.close();
    client = null;
    await proxy.close();
    await api.close();
  });

  it('loads everything, then follows live events; reads say how fresh they are', async () => {
    const first = await serverSchedule(api, 'launch', 3);
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => converged(client as ClientCore, api), 10_000, 'initial load');
    const list = await client.call<{ data: Array<{ id: string; counts: Record<string, number> }>; stale: boolean; source: string }>('schedules.list');
    expect(list.data.map((s) => s.id)).toEqual([first.id]);
    expect(list.data[0]?.counts.scheduled).toBe(3);
    await waitFor(() => client?.core.services.sync.status().live === 'live', 5000, 'live');
    const fresh = await client.call<{ stale: boolean; fetchedAt: string | null }>('calendar.range', { from: future(0), to: future(24 * 30) });
    expect(fresh.stale).toBe(false);
    expect(fresh.fetchedAt).not.toBeNull();

    // A change made elsewhere arrives as a live event and a data.changed to the renderer.
    const item = first.items?.[0];
    const moved = await api.send('PATCH', `/api/v1/scheduling/calendar/${first.id}/items/${item?.id}`, { scheduled_time: future(100) });
    expect(moved.status).toBe(200);
    await waitFor(() => client?.core.services.cache.item(item?.id ?? '')?.item.scheduled_time === future(100), 5000, 'live reschedule');
    expect(client.events.some((e) => e.event === 'data.changed')).toBe(true);
    const activity = await client.call<Array<{ message: string }>>('activity.list');
    expect(activity[0]?.message).toContain('moved to');
  });

  it('loads 120 schedules × 5 items in ceil(120 / page size) requests, and the cache equals the server', async () => {
    for (let i = 0; i < 120; i++) await serverSchedule(api, `bulk${i}`, 5);
    for (const pageSize of [SYNC_PAGE_SIZE, 25]) {
      const before = api.requests.length;
      const loaded = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, tuning: { ...FAST_TUNING, syncPageSize: pageSize } });
      try {
        // Stale reads while it loads ask for a pull; that pull is the running load, not another.
        await loaded.call('calendar.range', { from: future(0), to: future(24 * 30) });
        await loaded.call('schedules.list');
        await waitFor(() => loaded.core.services.cache.getMeta('last_synced_at'), 20_000, 'initial load');
        // Only list pages with their items: no read per schedule.
        const requests = calendarRequests(api, before);
        expect(requests).toHaveLength(Math.ceil(120 / pageSize));
        expect(requests.every((url) => url.startsWith('/api/v1/scheduling/calendar?') && url.includes('expand=items'))).toBe(true);
        expect(cacheState(loaded).size).toBe(120 * 5);
        expect(await converged(loaded, api)).toBe(true);
        expect(await schedulesMatch(loaded, api)).toBe(true);
      } finally {
        await loaded.close();
      }
    }
  }, 60_000);

  it('converges to the server when the server is killed during the initial sync and restarted, going on from its last page', async () => {
    for (let i = 0; i < 25; i++) await serverSchedule(api, `s${i}`, 8);
    const before = api.requests.length;
    // Slow answers keep the load from reading all 5 pages before the kill lands (npm test saw it
    // finish first: nothing left to resume).
    proxy.setMode({ kind: 'delay', ms: 200, onlyResponses: true });
    const starting = startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, tuning: { ...FAST_TUNING, syncPageSize: 5 } });
    // Kill the server once the client is part-way through the pages (the second is asked for
    // only after the first is written).
    await waitFor(() => loadPages(api, before).length >= 2, 10_000, 'sync under way');
    await api.stop();
    client = await starting;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.core.services.sync.status().live).not.toBe('live');
    // What was read before the kill is kept, with where to go on.
    expect(cacheState(client).size).toBeGreaterThanOrEqual(5 * 8);
    expect(client.core.services.cache.getMeta('full_load_progress')).toContain('"cursor"');
    const restartedAt = api.requests.length;
    proxy.setMode({ kind: 'pass' });
    await api.restart();
    // Written while the client was catching up: must arrive too.
    await serverSchedule(api, 'late', 2);
    await waitFor(() => converged(client as ClientCore, api), 15_000, 'convergence after restart');
    expect(cacheState(client).size).toBe(25 * 8 + 2);
    expect(await schedulesMatch(client, api)).toBe(true);
    // Resumed, not restarted: the first page after the restart goes on from a cursor.
    const after = loadPages(api, restartedAt);
    expect(after[0]).toContain('cursor=');
    expect(after.length).toBeLessThan(Math.ceil(26 / 5));
  });

  it('an initial load cut short by closing the app goes on from its last page when the app opens again', async () => {
    for (let i = 0; i < 30; i++) await serverSchedule(api, `c${i}`, 3);
    const data = tempDir('cadence-resume-');
    const tuning = { ...FAST_TUNING, syncPageSize: 5 };
    try {
      const before = api.requests.length;
      // Slow answers keep the load from finishing all 6 pages before the close lands.
      proxy.setMode({ kind: 'delay', ms: 200, onlyResponses: true });
      client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, dataDir: data.path, tuning });
      await waitFor(() => loadPages(api, before).length >= 3, 10_000, 'sync under way');
      await client.close({ keepData: true });
      client = null;
      const firstRun = loadPages(api, before).length;
      expect(firstRun).toBeLessThan(6);
      proxy.setMode({ kind: 'pass' });
      const reopened = api.requests.length;
      client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, dataDir: data.path, tuning });
      await waitFor(() => client?.core.services.cache.getMeta('last_synced_at'), 10_000, 'load finished');
      const secondRun = loadPages(api, reopened);
      expect(secondRun[0]).toContain('cursor=');
      // 6 pages in all; at most the one in flight when the app closed is read twice.
      expect(firstRun + secondRun.length).toBeLessThanOrEqual(6 + 1);
      expect(await converged(client, api)).toBe(true);
      expect(await schedulesMatch(client, api)).toBe(true);
      expect(client.core.services.cache.getMeta('full_load_progress')).toBe('');
    } finally {
      await client?.close();
      client = null;
      data.remove();
    }
  });

  it('a saved cursor the server refuses starts the load over from the first page', async () => {
    for (let i = 0; i < 4; i++) await serverSchedule(api, `r${i}`, 2);
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, tuning: { ...FAST_TUNING, syncPageSize: 3 } });
    await waitFor(() => client?.core.services.cache.getMeta('last_synced_at'), 10_000, 'initial load');
    const cache = client.core.services.cache;
    const progress = { identity: cache.getMeta('identity'), cursor: 'not-a-cursor', headSeq: null, startedAt: new Date().toISOString(), seen: [] };
    cache.write(() => cache.setMeta('full_load_progress', JSON.stringify(progress)));
    const before = api.requests.length;
    await client.core.services.sync.fullLoad(null);
    const pages = api.requests.slice(before).filter((r) => r.url.startsWith('/api/v1/scheduling/calendar?'));
    expect(pages.map((r) => [r.url.includes('cursor=not-a-cursor'), r.status])).toEqual([
      [true, 400],
      [false, 200],
      [false, 200],
    ]);
    expect(cache.getMeta('full_load_progress')).toBe('');
    expect(await converged(client, api)).toBe(true);
  });

  it('a delta pull (no socket) reads changed schedules with their items in one request and sees deletions', async () => {
    const keep = await serverSchedule(api, 'keep', 3);
    const other = await serverSchedule(api, 'other', 2);
    const tuning = { ...FAST_TUNING, live: { ...FAST_TUNING.live, enabled: false } };
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, tuning });
    await waitFor(() => client?.core.services.cache.getMeta('last_synced_at'), 10_000, 'initial load');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Elsewhere: one item deleted, one moved, a schedule cancelled, a new one created.
    const [deleted, moved] = keep.items ?? [];
    expect((await api.send('DELETE', `/api/v1/scheduling/calendar/${keep.id}/items/${deleted?.id}`)).status).toBe(200);
    expect((await api.send('PATCH', `/api/v1/scheduling/calendar/${keep.id}/items/${moved?.id}`, { scheduled_time: future(300) })).status).toBe(200);
    expect((await api.send('DELETE', `/api/v1/scheduling/calendar/${other.id}`)).status).toBe(200);
    const created = await serverSchedule(api, 'new', 2);
    const before = api.requests.length;
    await client.call('sync.now');
    const requests = calendarRequests(api, before);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain('updated_since=');
    const cache = client.core.services.cache;
    // The deleted (= cancelled) item stays as a cancelled record, as the live event would leave it.
    expect(cache.item(deleted?.id ?? '')?.item.status).toBe('cancelled');
    expect(cache.item(moved?.id ?? '')?.item).toMatchObject({ scheduled_time: future(300), version: 2 });
    expect(cache.schedule(other.id)?.record.status).toBe('cancelled');
    expect(cache.itemsOf(other.id).map((i) => i.status)).toEqual(['cancelled', 'cancelled']);
    expect(cache.itemsOf(created.id)).toHaveLength(2);
    expect(await schedulesMatch(client, api)).toBe(true);
    // Apart from the local cancelled record, the cache is the server's state.
    const server = await serverState(api);
    const mirrored = cacheState(client);
    mirrored.delete(deleted?.id ?? '');
    expect(mirrored).toEqual(server);
  });

  it('applies every event exactly once when the socket is cut while events flow', async () => {
    const schedule = await serverSchedule(api, 'flow', 1);
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => client?.core.services.sync.status().live === 'live', 5000, 'live');
    const seen: number[] = [];
    client.core.services.appliedListeners.add((events) => seen.push(...events.map((e) => e.seq)));
    const startSeq = client.core.services.cache.cursor;
    const writes = (async () => {
      for (let i = 0; i < 120; i++) {
        await api.send('POST', `/api/v1/scheduling/calendar/${schedule.id}/items`, { content_id: `ev-${i}`, platform: 'tiktok', scheduled_time: future(48 + i) });
      }
    })();
    for (let cut = 0; cut < 4; cut++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      proxy.cutAll();
    }
    await writes;
    // The cuts really dropped the live socket (it went reconnecting and came back).
    expect(client.events.some((e) => e.event === 'sync.status' && (e.payload as SyncStatus).live === 'reconnecting')).toBe(true);
    const expected = startSeq + 120;
    await waitFor(() => client?.core.services.cache.cursor === expected, 10_000, 'cursor at head');
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => startSeq + 1 + i));
    expect(await converged(client, api)).toBe(true);
  });

  it('falls back to a full resync when the server no longer holds the events after its cursor', async () => {
    const data = tempDir('cadence-resync-');
    try {
      await serverSchedule(api, 'before', 2);
      client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, dataDir: data.path });
      await waitFor(() => client?.core.services.sync.status().live === 'live', 5000, 'live');
      const cursorBefore = client.core.services.cache.cursor;
      await client.close({ keepData: true });
      client = null;
      // While the app is closed: 30 changes, of which the server keeps only the last 5 events.
      for (let i = 0; i < 30; i++) await serverSchedule(api, `while-closed-${i}`, 1);
      await pruneEvents(api.server!.context.storage.db, Date.now(), { maxPerAccount: 5 });
      const before = api.requests.length;
      client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey, dataDir: data.path });
      await waitFor(() => converged(client as ClientCore, api), 10_000, 'converged after resync');
      await waitFor(() => client?.core.services.cache.cursor === cursorBefore + 30, 5000, 'cursor at the head');
      // A full list (no updated_since) was read after the server said resync_required.
      const fullLists = api.requests.slice(before).filter((r) => r.url.startsWith('/api/v1/scheduling/calendar?') && !r.url.includes('updated_since'));
      expect(fullLists.length).toBeGreaterThanOrEqual(1);
      await waitFor(() => client?.core.services.sync.status().live === 'live', 5000, 'live again');
      // And it follows live events from the head on.
      await serverSchedule(api, 'after', 1);
      await waitFor(() => client?.core.services.cache.cursor === cursorBefore + 31, 5000, 'next event');
    } finally {
      await client?.close();
      client = null;
      data.remove();
    }
  });

  it('finds a dead socket by heartbeat and reconnects when the network is back', async () => {
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => client?.core.services.sync.status().live === 'live', 5000, 'live');
    // No FIN, no RST: only the heartbeat can tell.
    proxy.setMode({ kind: 'blackhole' });
    proxy.freezeAll();
    await waitFor(() => client?.core.services.sync.status().live !== 'live', 5000, 'dead socket detected');
    expect(client.core.services.sync.status().lastError).toMatch(/heartbeat|timeout|closed/);
    await waitFor(() => client?.core.services.sync.status().live === 'offline', 5000, 'offline after a while');
    expect(client.core.services.sync.status().offlineSince).not.toBeNull();
    proxy.setMode({ kind: 'pass' });
    await waitFor(() => client?.core.services.sync.status().live === 'live', 10_000, 'live again');
  });

  it('replays 100 writes made while the server is down: exactly 100, no duplicates, in order', async () => {
    const schedule = await serverSchedule(api, 'offline', 1);
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => converged(client as ClientCore, api), 10_000, 'initial load');
    await api.stop();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const result = await client.call<{ queued: boolean; itemId: string }>('items.add', {
        scheduleId: schedule.id,
        item: { content_id: `w-${String(i).padStart(3, '0')}`, platform: 'instagram', scheduled_time: future(72 + i) },
      });
      expect(result.queued).toBe(true);
      ids.push(result.itemId);
    }
    // Optimistic: the calendar shows them at once, marked pending.
    const shown = await client.call<{ data: { items: CalendarItem[] } }>('schedules.get', { id: schedule.id });
    expect(shown.data.items.filter((i) => i.pending)).toHaveLength(100);
    expect((await client.call<SyncStatus>('sync.status')).pendingCount).toBe(100);
    await api.restart();
    await waitFor(() => client?.core.services.outbox.counts().pending === 0, 20_000, 'outbox drained');
    const full = await api.get<Schedule>(`/api/v1/scheduling/calendar/${schedule.id}?expand=items`);
    const written = (full.items ?? []).filter((i) => i.content_id.startsWith('w-'));
    expect(written).toHaveLength(100);
    expect(new Set(written.map((i) => i.content_id)).size).toBe(100);
    // In order: the server's event log has them in the order they were written.
    const db = api.server?.context.storage.db;
    const rows = await db!.selectFrom('events').select(['seq', 'type', 'data']).where('type', '=', 'item.created').orderBy('seq').execute();
    const order = rows.map((r) => (JSON.parse(String(r.data)) as { content_id: string }).content_id).filter((c) => c.startsWith('w-'));
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => `w-${String(i).padStart(3, '0')}`));
    await waitFor(() => converged(client as ClientCore, api), 10_000, 'cache converged');
    expect((await client.call<{ data: { items: CalendarItem[] } }>('schedules.get', { id: schedule.id })).data.items.some((i) => i.pending)).toBe(false);
  });

  it('ids handed out offline keep working once the server has assigned its own', async () => {
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => client?.core.services.sync.status().live === 'live', 5000, 'live');
    await api.stop();
    const created = await client.call<{ queued: boolean; scheduleId: string }>('schedules.create', {
      title: 'Offline plan',
      items: [{ content_id: 'first', platform: 'tiktok', scheduled_time: future(30) }],
    });
    expect(created).toMatchObject({ queued: true, scheduleId: expect.stringMatching(/^local_sch_/) });
    const local = await client.call<{ data: { items: CalendarItem[] } }>('schedules.get', { id: created.scheduleId });
    const localItem = local.data.items[0] as CalendarItem;
    expect(localItem.pending).toBe(true);
    // Queued after the create, on its local ids: sent with the server's ids.
    await client.call('items.reschedule', { scheduleId: created.scheduleId, itemId: localItem.id, scheduledTime: future(31) });
    await api.restart();
    await waitFor(() => client?.core.services.outbox.counts().pending === 0, 10_000, 'drained');
    const list = await api.get<{ data: Schedule[] }>('/api/v1/scheduling/calendar');
    const onServer = list.data.find((s) => s.title === 'Offline plan') as Schedule;
    const full = await api.get<Schedule>(`/api/v1/scheduling/calendar/${onServer.id}?expand=items`);
    expect(full.items?.[0]?.scheduled_time).toBe(future(31));
    // A view still holding the local ids reads and checks through them.
    const again = await client.call<{ data: { id: string; items: CalendarItem[] } }>('schedules.get', { id: created.scheduleId });
    expect(again.data.id).toBe(onServer.id);
    expect(again.data.items[0]?.pending).toBe(false);
    const check = await client.call<{ violations: unknown[] }>('items.check', { scheduleId: created.scheduleId, itemId: localItem.id, scheduledTime: future(40) });
    expect(check.violations).toEqual([]);
  });

  it('a 409 on a stale write reaches the bridge as a conflict with both versions', async () => {
    const schedule = await serverSchedule(api, 'conflict', 1);
    const item = schedule.items?.[0];
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => converged(client as ClientCore, api), 10_000, 'initial load');
    // Someone else moves it (version 1 → 2).
    expect((await api.send('PATCH', `/api/v1/scheduling/calendar/${schedule.id}/items/${item?.id}`, { scheduled_time: future(200) })).status).toBe(200);
    const result = await client.raw('items.reschedule', { scheduleId: schedule.id, itemId: item?.id, scheduledTime: future(300), expectedVersion: 1 });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('conflict');
    const data = result.error?.data as { kind: string; id: string; local: { scheduled_time: string }; server: { scheduled_time: string; version: number } };
    expect(data.kind).toBe('item');
    expect(data.id).toBe(item?.id);
    expect(data.local.scheduled_time).toBe(future(300));
    expect(data.server.scheduled_time).toBe(future(200));
    expect(data.server.version).toBe(2);
    // Never silently overwritten: the server keeps the other change.
    const after = await api.get<Schedule>(`/api/v1/scheduling/calendar/${schedule.id}?expand=items`);
    expect(after.items?.[0]?.scheduled_time).toBe(future(200));
    expect(client.core.services.outbox.counts()).toEqual({ pending: 0, parked: 0 });
  });

  it('parks a write the server rejects for good, with its reason, and sends the others', async () => {
    const schedule = await serverSchedule(api, 'park', 1);
    const item = schedule.items?.[0];
    client = await startClientCore({ apiUrl: proxy.url, apiKey: api.apiKey });
    await waitFor(() => converged(client as ClientCore, api), 10_000, 'initial load');
    proxy.setMode({ kind: 'reset' });
    proxy.cutAll();
    await waitFor(() => client?.core.services.sync.status().live !== 'live', 5000, 'offline');
    const stale = await client.call<{ queued: boolean }>('items.reschedule', { scheduleId: schedule.id, itemId: item?.id, scheduledTime: future(400), expectedVersion: 1 });
    expect(stale.queued).toBe(true);
    await client.call('items.add', { scheduleId: schedule.id, item: { content_id: 'after-park', platform: 'linkedin', scheduled_time: future(500) } });
    // Meanwhile the item changes on the server, so the queued reschedule is stale.
    expect((await api.send('PATCH', `/api/v1/scheduling/calendar/${schedule.id}/items/${item?.id}`, { scheduled_time: future(250) })).status).toBe(200);
    proxy.setMode({ kind: 'pass' });
    await waitFor(() => client?.core.services.outbox.counts().pending === 0, 10_000, 'drained');
    const entries = await client.call<Array<{ status: string; lastError: string; kind: string }>>('outbox.list');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.status).toBe('parked');
    expect(entries[0]?.lastError).toContain('conflict');
    const full = await api.get<Schedule>(`/api/v1/scheduling/calendar/${schedule.id}?expand=items`);
    expect(full.items?.some((i) => i.content_id === 'after-park')).toBe(true);
    expect((await client.call<SyncStatus>('sync.status')).parkedCount).toBe(1);
    // Discarding puts the server's version back in the calendar.
    const id = (await client.call<Array<{ id: string }>>('outbox.list'))[0]?.id;
    expect(await client.call('outbox.discard', { id })).toEqual([]);
    await waitFor(() => client?.core.services.cache.item(item?.id ?? '')?.item.scheduled_time === future(250), 5000, 'reverted to server');
  });
});
