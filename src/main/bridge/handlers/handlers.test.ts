// The bridge methods end to end: a real core (remote mode) against the real server on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OptimizationResult, Schedule } from '../../../shared/api/resources';
import type { CalendarEvent, CalendarItem } from '../../../shared/bridge';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { startClientCore, waitFor, type ClientCore } from '../../testing/client-core';

let api: ApiServer;
let client: ClientCore;

beforeAll(async () => {
  api = await startApiServer();
  client = await startClientCore({ apiUrl: api.url, apiKey: api.apiKey });
  await waitFor(() => client.core.services.sync.status().live === 'live', 10_000, 'live');
});
afterAll(async () => {
  await client.close();
  await api.close();
});

const get = <T>(id: string) => client.call<{ data: T }>('schedules.get', { id }).then((r) => r.data);

describe('bridge: schedules and items', () => {
  let scheduleId = '';

  it('creates a schedule on the server at once when online, and shows it from the cache', async () => {
    const result = await client.call<{ queued: boolean; scheduleId: string }>('schedules.create', {
      title: 'Spring, launch; "week"',
      timezone: 'America/New_York',
      items: [
        { content_id: 'teaser', platform: 'youtube', scheduled_time: '2030-01-10T15:00:00Z', metadata: { title: 'Teaser, with a comma; and a very long title that will need folding in the calendar file 🎬🎬' } },
        { content_id: 'evening', platform: 'youtube', scheduled_time: '2030-01-10T20:00:00Z' },
        { content_id: 'clip', platform: 'tiktok', scheduled_time: '2030-01-12T15:00:00Z' },
      ],
    });
    expect(result.queued).toBe(false);
    expect(result.scheduleId).toMatch(/^sch_/);
    scheduleId = result.scheduleId;
    const schedule = await get<Omit<Schedule, 'items'> & { items: CalendarItem[]; pending: boolean }>(scheduleId);
    expect(schedule.pending).toBe(false);
    expect(schedule.items.map((i) => i.content_id)).toEqual(['teaser', 'evening', 'clip']);
    expect(schedule.items.every((i) => !i.pending && i.id.startsWith('itm_'))).toBe(true);
    const range = await client.call<{ data: CalendarEvent[]; stale: boolean }>('calendar.range', { from: '2030-01-10T00:00:00Z', to: '2030-01-11T00:00:00Z' });
    expect(range.data.map((i) => i.content_id)).toEqual(['teaser', 'evening']);
    expect(range.data[0]?.schedule_timezone).toBe('America/New_York');
    // Calendar rows: the title, not the free-form metadata (schedules.get has the whole item).
    expect(range.data[0]?.title).toContain('Teaser, with a comma');
    expect(range.data[0]).not.toHaveProperty('metadata');
  });

  it('items.check reports spacing, the daily cap in the schedule zone, and the past', async () => {
    const schedule = await get<{ items: CalendarItem[] }>(scheduleId);
    const clip = schedule.items.find((i) => i.content_id === 'clip') as CalendarItem;
    const teaser = schedule.items.find((i) => i.content_id === 'teaser') as CalendarItem;
    const evening = schedule.items.find((i) => i.content_id === 'evening') as CalendarItem;
    // Fine: a free day for TikTok.
    expect((await client.call<{ violations: unknown[] }>('items.check', { scheduleId, itemId: clip.id, scheduledTime: '2030-01-13T15:00:00Z' })).violations).toEqual([]);
    // YouTube: 4 h spacing; 1 h after the teaser is too close.
    const close = await client.call<{ violations: Array<{ constraint: string; item_ids: string[] }> }>('items.check', { scheduleId, itemId: evening.id, scheduledTime: '2030-01-10T16:00:00Z' });
    expect(close.violations.map((v) => v.constraint)).toEqual(['min_spacing_minutes']);
    expect(close.violations[0]?.item_ids).toContain(teaser.id);
    // 2030-01-11T01:00Z is still Jan 10 in New York: a third YouTube post that local day (cap 2).
    await client.call('items.add', { scheduleId, item: { content_id: 'third', platform: 'youtube', scheduled_time: '2030-01-11T12:00:00Z' } });
    const third = (await get<{ items: CalendarItem[] }>(scheduleId)).items.find((i) => i.content_id === 'third') as CalendarItem;
    const capped = await client.call<{ violations: Array<{ constraint: string; message: string }> }>('items.check', { scheduleId, itemId: third.id, scheduledTime: '2030-01-11T01:00:00Z' });
    expect(capped.violations.map((v) => v.constraint)).toEqual(['max_per_day']);
    expect(capped.violations[0]?.message).toContain('2030-01-10 (America/New_York)');
    const past = await client.call<{ violations: Array<{ constraint: string }> }>('items.check', { scheduleId, itemId: clip.id, scheduledTime: '2020-01-01T00:00:00Z' });
    expect(past.violations.map((v) => v.constraint)).toContain('past');
  });

  it('items.check also checks a proposed new item (no itemId) before items.add', async () => {
    type Check = { violations: Array<{ constraint: string; item_ids: string[]; message: string }> };
    const items = (await get<{ items: CalendarItem[] }>(scheduleId)).items;
    const teaser = items.find((i) => i.content_id === 'teaser') as CalendarItem;
    // 1 h after the teaser on YouTube's channel: too close (naming only the existing post), and a
    // third YouTube post on Jan 10 in New York (teaser, evening): over the cap of 2.
    const close = await client.call<Check>('items.check', { scheduleId, platform: 'youtube', scheduledTime: '2030-01-10T16:00:00Z' });
    expect(close.violations.map((v) => v.constraint)).toEqual(['min_spacing_minutes', 'max_per_day']);
    expect(close.violations[0]?.item_ids).toEqual([teaser.id]);
    // Another day, far enough from everything: fine.
    expect((await client.call<Check>('items.check', { scheduleId, platform: 'youtube', scheduledTime: '2030-01-13T15:00:00Z' })).violations).toEqual([]);
    // The same time on another channel of the platform is free.
    expect((await client.call<Check>('items.check', { scheduleId, platform: 'youtube', channel: 'youtube:@other', scheduledTime: '2030-01-10T16:00:00Z' })).violations).toEqual([]);
    const past = await client.call<Check>('items.check', { scheduleId, platform: 'tiktok', scheduledTime: '2020-01-01T00:00:00Z' });
    expect(past.violations).toEqual([{ constraint: 'past', item_ids: [], message: expect.stringContaining('in the past') }]);
    // Nothing was added by checking.
    expect((await get<{ items: CalendarItem[] }>(scheduleId)).items).toHaveLength(items.length);
    // Either an existing item or a platform: the error names the field.
    const neither = await client.raw('items.check', { scheduleId, scheduledTime: '2030-01-10T16:00:00Z' });
    expect(neither.error?.code).toBe('validation_failed');
    expect((neither.error as { details?: Array<{ path: string }> } | undefined)?.details?.map((d) => d.path)).toContain('platform');
    const both = await client.raw('items.check', { scheduleId, itemId: teaser.id, platform: 'tiktok', scheduledTime: '2030-01-10T16:00:00Z' });
    expect(both.error?.code).toBe('validation_failed');
  });

  it('reschedules, edits and cancels through the server, keeping versions', async () => {
    const clip = (await get<{ items: CalendarItem[] }>(scheduleId)).items.find((i) => i.content_id === 'clip') as CalendarItem;
    const moved = await client.call<{ queued: boolean }>('items.reschedule', { scheduleId, itemId: clip.id, scheduledTime: '2030-01-14T15:00:00Z' });
    expect(moved.queued).toBe(false);
    const after = client.core.services.cache.item(clip.id);
    expect(after?.item.scheduled_time).toBe('2030-01-14T15:00:00Z');
    expect(after?.item.version).toBe(2);
    await client.call('items.update', { scheduleId, itemId: clip.id, patch: { metadata: { title: 'Clip' } } });
    expect(client.core.services.cache.item(clip.id)?.item.metadata).toEqual({ title: 'Clip' });
    await client.call('items.cancel', { scheduleId, itemId: clip.id });
    // Cancelling an unpublished item removes it on the server; the calendar keeps it, cancelled.
    const server = await api.get<Schedule>(`/api/v1/scheduling/calendar/${scheduleId}?expand=items`);
    expect(server.items?.find((i) => i.id === clip.id)).toBeUndefined();
    const kept = client.core.services.cache.item(clip.id);
    expect(kept?.item.status).toBe('cancelled');
    expect(kept?.pending).toBe(false);
    const listed = (await get<{ items: CalendarItem[] }>(scheduleId)).items.find((i) => i.id === clip.id);
    expect(listed).toMatchObject({ status: 'cancelled', pending: false });
    const inRange = await client.call<{ data: CalendarItem[] }>('calendar.range', { from: '2030-01-14T00:00:00Z', to: '2030-01-15T00:00:00Z' });
    expect(inRange.data.map((i) => [i.id, i.status])).toEqual([[clip.id, 'cancelled']]);
    // The list counts stay the server's: the cancelled clip is not counted.
    const summary = (await client.call<{ data: Array<{ id: string; item_count: number; counts: Record<string, number> }> }>('schedules.list', {})).data.find((s) => s.id === scheduleId);
    expect(summary?.counts).toEqual({ scheduled: 3 });
    // It survives a full resync while its schedule exists.
    await client.core.services.sync.fullLoad(null);
    expect(client.core.services.cache.item(clip.id)?.item.status).toBe('cancelled');
    // Nothing can change a cancelled item (the server no longer has it).
    const again = await client.raw('items.reschedule', { scheduleId, itemId: clip.id, scheduledTime: '2030-01-20T15:00:00Z' });
    expect(again.error?.code).toBe('validation_failed');
    expect(client.core.services.cache.item(clip.id)?.item.status).toBe('cancelled');
    // A drop into the past is refused unless forced.
    const evening = (await get<{ items: CalendarItem[] }>(scheduleId)).items.find((i) => i.content_id === 'evening') as CalendarItem;
    const refused = await client.raw('items.reschedule', { scheduleId, itemId: evening.id, scheduledTime: '2020-01-01T00:00:00Z' });
    expect(refused.error?.code).toBe('validation_failed');
  });

  it('renames a schedule with If-Match and reports a stale rename as a conflict with both sides', async () => {
    await client.call('schedules.update', { id: scheduleId, patch: { title: 'Spring launch' } });
    expect((await api.get<Schedule>(`/api/v1/scheduling/calendar/${scheduleId}`)).title).toBe('Spring launch');
    const stale = await client.raw('schedules.update', { id: scheduleId, patch: { title: 'Old view' }, expectedVersion: 1 });
    expect(stale.error?.code).toBe('conflict');
    expect(stale.error?.data).toMatchObject({ kind: 'schedule', id: scheduleId, local: { title: 'Old view' }, server: { title: 'Spring launch' } });
  });

  it('exports the schedule as RFC 5545 iCalendar, escaped and folded', async () => {
    const ics = await client.call<{ filename: string; content: string }>('schedules.exportIcs', { id: scheduleId });
    expect(ics.filename).toBe('Spring-launch.ics');
    const lines = ics.content.split('\r\n');
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(ics.content.endsWith('END:VCALENDAR\r\n')).toBe(true);
    for (const line of lines) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const unfolded = ics.content.replace(/\r\n /g, '');
    expect(unfolded).toContain('SUMMARY:Teaser\\, with a comma\\; and a very long title');
    expect(unfolded).toContain('DTSTART:20300110T150000Z');
    // The cancelled clip is not exported.
    expect(unfolded).not.toContain('clip (tiktok)');
  });

  it('reads a never-seen schedule id as not found without waiting for the network', async () => {
    const missing = await client.raw('schedules.get', { id: 'sch_nope' });
    expect(missing.error?.code).toBe('not_found');
  });
});

describe('bridge: recommendations, optimization, metrics, connection', () => {
  it('caches recommendations with their TTL: the second read does not reach the server', async () => {
    const query = { platforms: ['tiktok'], target_count: 3, timezone: 'UTC' };
    const first = await client.call<{ source: string; stale: boolean; data: { data: unknown[] } }>('recommendations.get', query);
    expect(first.source).toBe('network');
    expect(first.data.data.length).toBeGreaterThan(0);
    const before = api.requests.filter((r) => r.url.includes('/recommendations')).length;
    const second = await client.call<{ source: string; stale: boolean }>('recommendations.get', query);
    expect(second).toMatchObject({ source: 'cache', stale: false });
    expect(api.requests.filter((r) => r.url.includes('/recommendations')).length).toBe(before);
    const heat = await client.call<{ data: { grid: number[][] } }>('recommendations.heatmap', { platform: 'tiktok', timezone: 'Europe/Berlin' });
    expect(heat.data.grid).toHaveLength(7);
  });

  it('runs an optimization and applies the chosen changes', async () => {
    const created = await client.call<{ scheduleId: string }>('schedules.create', {
      title: 'Optimize me',
      items: Array.from({ length: 4 }, (_, i) => ({ content_id: `o${i}`, platform: 'instagram', scheduled_time: `2030-02-0${i + 1}T03:00:00Z` })),
    });
    const result = await client.call<OptimizationResult>('optimize.run', { scheduleId: created.scheduleId });
    expect(result.status).toBe('completed');
    const changes = result.changes ?? [];
    if (changes.length === 0) return;
    const chosen = changes.slice(0, 2).map((c) => c.item_id);
    const applied = await client.call<{ applied: string[]; conflicts: unknown[]; queued: boolean }>('optimize.apply', {
      optimizationId: result.optimization_id,
      scheduleId: created.scheduleId,
      itemIds: chosen,
    });
    expect(applied.queued).toBe(false);
    expect(applied.conflicts).toEqual([]);
    expect(applied.applied.sort()).toEqual([...chosen].sort());
    const proposed = changes.find((c) => c.item_id === chosen[0]);
    await waitFor(() => client.core.services.cache.item(chosen[0] as string)?.item.scheduled_time === proposed?.proposed_time, 5000, 'applied time in cache');
  });

  it('previews a CSV with per-row errors naming the column, and imports a valid one', async () => {
    const csv = [
      'content_id,platform,published_at,impressions,engagements,timezone',
      'a1,tiktok,2026-02-01T10:00:00Z,1000,50,',
      'a2,myspace,2026-02-01T10:00:00Z,1000,50,',
      'a3,youtube,2026-03-08 02:30,1000,50,America/New_York',
      'a4,youtube,2026-03-08 03:30,-5,50,America/New_York',
      '"a,5",instagram,2026-02-02T10:00:00+01:00,700,"70",',
    ].join('\n');
    const preview = await client.call<{ rows: Array<{ line: number; ok: boolean; errors: Array<{ field: string; message: string }> }>; validCount: number; invalidCount: number }>('metrics.previewCsv', { csv });
    expect(preview.validCount).toBe(2);
    expect(preview.invalidCount).toBe(3);
    expect(preview.rows.find((r) => r.line === 3)?.errors[0]?.field).toBe('platform');
    expect(preview.rows.find((r) => r.line === 4)?.errors[0]).toMatchObject({ field: 'published_at', message: expect.stringContaining('does not exist') });
    expect(preview.rows.find((r) => r.line === 5)?.errors[0]?.field).toBe('impressions');
    const refused = await client.raw('metrics.importCsv', { csv });
    expect(refused.error?.code).toBe('validation_failed');
    const good = ['content_id,platform,published_at,impressions,engagements', 'b1,tiktok,2026-02-01T10:00:00Z,1000,50', 'b2,linkedin,2026-02-03T09:00:00Z,400,12'].join('\r\n');
    expect(await client.call('metrics.importCsv', { csv: good })).toEqual({ accepted: 2, duplicates: 0 });
    const missingColumn = await client.call<{ rows: Array<{ errors: Array<{ field: string }> }> }>('metrics.previewCsv', { csv: 'content_id,platform\nx,tiktok' });
    expect(missingColumn.rows[0]?.errors.map((e) => e.field)).toEqual(['published_at', 'impressions', 'engagements']);
  });

  it('tests a remote connection: a good key passes, a wrong one says so', async () => {
    expect(await client.call('connection.test', { apiUrl: api.url, apiKey: api.apiKey })).toMatchObject({ ok: true, version: expect.any(String) });
    expect(await client.call('connection.test', { apiUrl: api.url, apiKey: 'cad_wrong_key_123456' })).toMatchObject({ ok: false, message: expect.stringContaining('refused') });
    expect(await client.call('connection.test', { apiUrl: 'http://127.0.0.1:9', apiKey: api.apiKey })).toMatchObject({ ok: false });
  });

  it('reports the connection and the sync status', async () => {
    expect(await client.call('connection.get')).toMatchObject({ mode: 'remote', apiUrl: api.url, hasApiKey: true, hasSigningSecret: false, secretStoreProblem: null });
    expect(await client.call('sync.now')).toMatchObject({ live: 'live', breaker: 'closed', pendingCount: 0, parkedCount: 0 });
  });
});
