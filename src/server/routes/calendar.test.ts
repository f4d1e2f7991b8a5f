import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Item, Schedule } from '../../shared/api/resources';
import type { ServerEvent } from '../../shared/api/events';
import { call, sampleSchedule } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

type ErrorBody = { error: { code: string; message: string; details?: Array<{ path: string }>; current?: { version: number } } };

forEachDialect((dialect) => {
  let t: TestServer;
  const published: ServerEvent[] = [];
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
    t.server.context.events.subscribe((_account, events) => published.push(...events));
  });
  afterAll(() => t.close());

  async function create(overrides: Record<string, unknown> = {}): Promise<Schedule> {
    const r = await call<Schedule>(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(overrides) });
    expect(r.status, r.text).toBe(201);
    return r.json;
  }

  it('creates, reads with and without expansions, and announces the change after commit', async () => {
    const before = published.length;
    const s = await create();
    expect(s.version).toBe(1);
    expect(s.item_count).toBe(2);
    expect(s.items?.[1]).toMatchObject({ channel: 'tiktok:@brand', scheduled_time: '2026-12-02T20:00:00Z', status: 'scheduled', version: 1 });
    const plain = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}`);
    expect(plain.json.items).toBeUndefined();
    expect(plain.json.metrics).toBeUndefined();
    const expanded = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand=items,metrics`);
    expect(expanded.json.items).toHaveLength(2);
    expect(expanded.json.metrics).toMatchObject({ total_items: 2, by_status: { scheduled: 2 } });
    const bracket = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand[]=items`);
    expect(bracket.json.items).toHaveLength(2);
    expect(bracket.json.metrics).toBeUndefined();
    const unknown = await call<ErrorBody>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand=owner`);
    expect(unknown.status).toBe(400);
    const event = published.slice(before).find((e) => e.type === 'schedule.created');
    expect(event?.schedule_id).toBe(s.id);
    expect((event?.data as Schedule).items).toHaveLength(2);
    const stored = await t.server.context.storage.db.selectFrom('events').selectAll().where('schedule_id', '=', s.id).execute();
    expect(stored.map((e) => e.type)).toEqual(['schedule.created']);
  });

  it('lists with cursor pagination and filters', async () => {
    const fresh = await t.createAccount();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call<Schedule>(t, 'POST', '/api/v1/scheduling/calendar', {
        token: fresh.apiKey,
        body: sampleSchedule({ title: `S${i}`, items: [{ content_id: `c${i}`, platform: 'youtube', scheduled_time: `2026-12-1${i}T12:00:00Z` }] }),
      });
      ids.push(r.json.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; json: { data: Schedule[]; next_cursor: string | null } } = await call(t, 'GET', `/api/v1/scheduling/calendar?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: fresh.apiKey });
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.data.map((s) => s.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const ranged = await call<{ data: Schedule[] }>(t, 'GET', '/api/v1/scheduling/calendar?from=2026-12-11T00:00:00Z&to=2026-12-13T00:00:00Z', { token: fresh.apiKey });
    expect(ranged.json.data.map((s) => s.title)).toEqual(['S1', 'S2']);
    const future = await call<{ data: Schedule[] }>(t, 'GET', '/api/v1/scheduling/calendar?updated_since=2099-01-01T00:00:00Z', { token: fresh.apiKey });
    expect(future.json.data).toHaveLength(0);
    const bad = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/calendar?limit=0&from=yesterday', { token: fresh.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details?.map((d) => d.path).sort()).toEqual(['from', 'limit']);
    const badCursor = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/calendar?cursor=garbage', { token: fresh.apiKey });
    expect(badCursor.status).toBe(400);
  });

  it('If-Match turns a stale write into a 409 that carries the current version', async () => {
    const s = await create();
    const first = await call<Schedule>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}`, { body: { title: 'Renamed' }, headers: { 'if-match': '"1"' } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ title: 'Renamed', version: 2 });
    expect(first.headers.get('etag')).toBe('"2"');
    const stale = await call<ErrorBody>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}`, { body: { title: 'Mine' }, headers: { 'if-match': '1' } });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('conflict');
    expect(stale.json.error.current).toMatchObject({ title: 'Renamed', version: 2 });
    const item = s.items![0]!;
    const moved = await call<Item>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${item.id}`, {
      body: { scheduledTime: '2026-12-05T10:00:00+01:00' },
      headers: { 'if-match': '1' },
    });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ scheduled_time: '2026-12-05T09:00:00Z', version: 2 });
    const staleItem = await call<ErrorBody>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${item.id}`, {
      body: { metadata: { a: 1 } },
      headers: { 'if-match': '1' },
    });
    expect(staleItem.status).toBe(409);
    expect(staleItem.json.error.current).toMatchObject({ version: 2, scheduled_time: '2026-12-05T09:00:00Z' });
    const events = await t.server.context.storage.db.selectFrom('events').selectAll().where('schedule_id', '=', s.id).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['schedule.created', 'schedule.updated', 'item.rescheduled']);
    expect(JSON.parse(events[2]!.data)).toMatchObject({ id: item.id, scheduled_time: '2026-12-05T09:00:00Z', version: 2 });
  });

  it('two concurrent writers with the same If-Match: exactly one wins', async () => {
    const s = await create();
    const results = await Promise.all(
      ['Left', 'Right'].map((title) => call<ErrorBody>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}`, { body: { title }, headers: { 'if-match': '1' } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const itemId = s.items![0]!.id;
    const moves = await Promise.all(
      ['2026-12-06T10:00:00Z', '2026-12-06T11:00:00Z'].map((when) =>
        call(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${itemId}`, { body: { scheduled_time: when }, headers: { 'if-match': '1' } }),
      ),
    );
    expect(moves.map((r) => r.status).sort()).toEqual([200, 409]);
    // Without If-Match, concurrent writers both succeed, one after the other: last writer wins.
    const blind = await Promise.all(['A', 'B', 'C'].map((title) => call<Schedule>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}`, { body: { title } })));
    expect(blind.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(blind.map((r) => r.json.version)).size).toBe(3);
    const finalVersion = (await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}`)).json.version;
    expect(finalVersion).toBe(Math.max(...blind.map((r) => r.json.version)));
  });

  it('many concurrent writers on one schedule: no deadlock, no 5xx, a consistent end state', async () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ content_id: `d${i}`, platform: 'youtube', scheduled_time: `2026-12-1${i % 10}T0${i % 10}:00:00Z` }));
    const s = await create({ timezone: 'UTC', items });
    const ids = s.items!.map((i) => i.id);
    const requests = [
      ...ids.map((id, i) => call(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${id}`, { body: { scheduled_time: `2026-12-2${i % 10}T10:00:00Z` } })),
      ...ids.slice().reverse().map((id) => call(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${id}`, { body: { metadata: { touched: true } } })),
      call(t, 'DELETE', `/api/v1/scheduling/calendar/${s.id}`),
      call(t, 'POST', '/api/v1/scheduling/batch', { body: { operations: ids.map((id) => ({ type: 'delete_item', data: { schedule_id: s.id, item_id: id } })) } }),
    ];
    const results = await Promise.all(requests);
    for (const r of results) expect(r.status, r.text).toBeLessThan(500);
    const after = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand=items`);
    expect(after.json.status).toBe('cancelled');
    expect(after.json.items!.every((i) => i.status === 'cancelled')).toBe(true);
  });

  it('rejects DST-gap local times, unknown platforms and missing offsets by field', async () => {
    const s = await create();
    const gap = await call<ErrorBody>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${s.items![0]!.id}`, {
      body: { scheduled_time: '2026-03-08T02:30:00-05:00' },
    });
    expect(gap.status).toBe(400);
    expect(gap.json.error.details?.[0]?.path).toBe('scheduled_time');
    expect(gap.json.error.message).toContain('does not exist');
    const several = await call<ErrorBody>(t, 'POST', `/api/v1/scheduling/calendar/${s.id}/items`, {
      body: { items: [{ content_id: 'a', platform: 'myspace', scheduled_time: '2026-12-01T10:00:00Z' }, { content_id: 'b', platform: 'youtube', scheduled_time: '2026-12-01T10:00:00' }] },
    });
    expect(several.status).toBe(400);
    expect(several.json.error.details?.map((d) => d.path)).toEqual(['items[0].platform']);
    const offset = await call<ErrorBody>(t, 'POST', `/api/v1/scheduling/calendar/${s.id}/items`, {
      body: { content_id: 'b', platform: 'youtube', scheduled_time: '2026-12-01T10:00:00' },
    });
    expect(offset.json.error.details?.[0]).toMatchObject({ path: 'scheduled_time' });
    const empty = await call<ErrorBody>(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule({ items: [] }) });
    expect(empty.json.error.details?.[0]?.path).toBe('items');
    const zone = await call<ErrorBody>(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule({ timezone: 'Mars/Olympus' }) });
    expect(zone.json.error.details?.[0]?.path).toBe('timezone');
  });

  it('adds and deletes items; DELETE of a schedule cancels what is not published', async () => {
    const s = await create();
    const added = await call<Item>(t, 'POST', `/api/v1/scheduling/calendar/${s.id}/items`, {
      body: { content_id: 'extra', platform: 'instagram', scheduled_time: '2026-12-07T12:00:00Z', callbacks: { on_published: 'https://example.com/hook' } },
    });
    expect(added.status).toBe(201);
    expect(added.json.callbacks).toEqual({ on_published: 'https://example.com/hook' });
    const removed = await call<Item>(t, 'DELETE', `/api/v1/scheduling/calendar/${s.id}/items/${added.json.id}`);
    expect(removed.status).toBe(200);
    expect((await call(t, 'DELETE', `/api/v1/scheduling/calendar/${s.id}/items/${added.json.id}`)).status).toBe(404);
    // One item has been published meanwhile (as the dispatcher would mark it).
    const db = t.server.context.storage.db;
    await db.updateTable('items').set({ status: 'published', published_at: '2026-12-01T18:00:01Z' }).where('id', '=', s.items![0]!.id).execute();
    const cancelled = await call<Schedule>(t, 'DELETE', `/api/v1/scheduling/calendar/${s.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    const after = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand=items`);
    expect(after.json.items?.map((i) => i.status)).toEqual(['published', 'cancelled']);
    const refused = await call<ErrorBody>(t, 'POST', `/api/v1/scheduling/calendar/${s.id}/items`, {
      body: { content_id: 'late', platform: 'youtube', scheduled_time: '2026-12-08T12:00:00Z' },
    });
    expect(refused.status).toBe(409);
    const types = (await db.selectFrom('events').select('type').where('schedule_id', '=', s.id).orderBy('seq').execute()).map((e) => e.type);
    expect(types).toEqual(['schedule.created', 'item.created', 'item.deleted', 'item.status_changed', 'schedule.deleted']);
  });

  it('a schedule whose items have all been published or failed reads as completed', async () => {
    const s = await create();
    const db = t.server.context.storage.db;
    await db.updateTable('items').set({ status: 'published' }).where('id', '=', s.items![0]!.id).execute();
    expect((await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}`)).json.status).toBe('active');
    await db.updateTable('items').set({ status: 'failed' }).where('id', '=', s.items![1]!.id).execute();
    expect((await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}`)).json.status).toBe('completed');
    const listed = await call<{ data: Schedule[] }>(t, 'GET', '/api/v1/scheduling/calendar?limit=200');
    expect(listed.json.data.find((x) => x.id === s.id)?.status).toBe('completed');
  });

  it('optimizes, stores the proposal and applies it atomically; a changed item is a 409 naming it', async () => {
    const s = await create({
      timezone: 'UTC',
      items: [
        { content_id: 'night_1', platform: 'youtube', scheduled_time: '2026-12-09T03:00:00Z' },
        { content_id: 'night_2', platform: 'tiktok', scheduled_time: '2026-12-10T03:30:00Z' },
        { content_id: 'night_3', platform: 'instagram', scheduled_time: '2026-12-11T04:00:00Z' },
      ],
    });
    const proposal = await call<{ optimization_id: string; status: string; applied: boolean; changes: Array<{ item_id: string; proposed_time: string }> }>(
      t,
      'POST',
      `/api/v1/scheduling/calendar/${s.id}/optimize`,
      { body: { apply: false, constraints: { max_shift_minutes: 3 * 24 * 60 } } },
    );
    expect(proposal.status, proposal.text).toBe(200);
    expect(proposal.json.applied).toBe(false);
    const backwards = await call<ErrorBody>(t, 'POST', `/api/v1/scheduling/calendar/${s.id}/optimize`, {
      body: { constraints: { earliest: '2026-12-10T00:00:00Z', latest: '2026-12-09T00:00:00Z', blackout: [{ start: '2026-12-09T10:00:00Z', end: '2026-12-09T09:00:00Z' }] } },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json.error.details?.map((d) => d.path)).toEqual(['constraints.latest', 'constraints.blackout[0].end']);
    const read = await call<{ status: string }>(t, 'GET', `/api/v1/scheduling/optimizations/${proposal.json.optimization_id}`);
    expect(read.json.status).toBe(proposal.json.status);
    // The apply path is tested on a proposal of our own, so it does not depend on what the engine prefers.
    const [a, b] = s.items! as [Item, Item];
    const crafted = [
      { item_id: a.id, content_id: a.content_id, platform: a.platform, current_scheduled_time: a.scheduled_time, proposed_time: '2026-12-09T18:00:00Z', score_before: 0.1, score_after: 0.8, delta: 0.7, reasons: ['evening'] },
      { item_id: b.id, content_id: b.content_id, platform: b.platform, current_scheduled_time: b.scheduled_time, proposed_time: '2026-12-10T19:30:00Z', score_before: 0.1, score_after: 0.7, delta: 0.6, reasons: ['evening'] },
    ];
    const optimizationId = `opt_crafted_${dialect}`;
    await t.server.context.storage.db
      .insertInto('optimizations')
      .values({
        id: optimizationId,
        account_id: t.accountId,
        schedule_id: s.id,
        status: 'completed',
        apply_requested: 0,
        request: '{}',
        result: JSON.stringify({ optimization_id: optimizationId, schedule_id: s.id, status: 'completed', applied: false, changes: crafted }),
        item_versions: JSON.stringify({ [a.id]: 1, [b.id]: 1 }),
        applied_item_ids: '[]',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      .execute();
    proposal.json.optimization_id = optimizationId;
    const changes = crafted;
    const [first, second] = changes as [typeof changes[0], typeof changes[0]];
    // Someone edits the first item after the proposal.
    await call(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${first.item_id}`, { body: { metadata: { edited: true } } });
    const conflict = await call<ErrorBody & { error: { item_id: string } }>(t, 'POST', `/api/v1/scheduling/optimizations/${proposal.json.optimization_id}/apply`, { body: {} });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.item_id).toBe(first.item_id);
    expect(conflict.json.error.message).toContain(first.item_id);
    // Nothing of the failed apply was written: the second item is where it was.
    const unchanged = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand=items`);
    expect(unchanged.json.items?.find((i) => i.id === second.item_id)?.version).toBe(1);
    const partial = await call<{ applied_item_ids: string[]; items: Item[] }>(t, 'POST', `/api/v1/scheduling/optimizations/${proposal.json.optimization_id}/apply`, {
      body: { item_ids: [second.item_id] },
    });
    expect(partial.status, partial.text).toBe(200);
    expect(partial.json.applied_item_ids).toEqual([second.item_id]);
    expect(partial.json.items[0]?.scheduled_time).toBe(new Date(second.proposed_time).toISOString().replace('.000Z', 'Z'));
    const unknownItem = await call<ErrorBody>(t, 'POST', `/api/v1/scheduling/optimizations/${proposal.json.optimization_id}/apply`, { body: { item_ids: ['itm_nope'] } });
    expect(unknownItem.status).toBe(400);
    expect(unknownItem.json.error.details?.[0]?.path).toBe('item_ids[0]');
  });

  it('two concurrent applies of one proposal: one moves the items, the other finds nothing left', async () => {
    const s = await create({ timezone: 'UTC' });
    const [a, b] = s.items! as [Item, Item];
    const id = `opt_concurrent_${dialect}`;
    const changes = [a, b].map((item, i) => ({
      item_id: item.id,
      content_id: item.content_id,
      platform: item.platform,
      current_scheduled_time: item.scheduled_time,
      proposed_time: `2026-12-1${i}T18:00:00Z`,
      score_before: 0.1,
      score_after: 0.9,
      delta: 0.8,
      reasons: [],
    }));
    const now = new Date().toISOString();
    await t.server.context.storage.db
      .insertInto('optimizations')
      .values({
        id,
        account_id: t.accountId,
        schedule_id: s.id,
        status: 'completed',
        apply_requested: 0,
        request: '{}',
        result: JSON.stringify({ optimization_id: id, schedule_id: s.id, status: 'completed', applied: false, changes }),
        item_versions: JSON.stringify({ [a.id]: 1, [b.id]: 1 }),
        applied_item_ids: '[]',
        created_at: now,
        updated_at: now,
      })
      .execute();
    const applies = await Promise.all([0, 1].map(() => call<{ items: Item[]; applied_item_ids: string[] }>(t, 'POST', `/api/v1/scheduling/optimizations/${id}/apply`, { body: {} })));
    expect(applies.map((r) => r.status)).toEqual([200, 200]);
    expect(applies.map((r) => r.json.items.length).sort()).toEqual([0, 2]);
    const moved = await t.server.context.storage.db.selectFrom('events').select('data').where('type', '=', 'item.rescheduled').where('schedule_id', '=', s.id).execute();
    expect(moved).toHaveLength(2);
  });

  it('batch: one failure does not stop the others', async () => {
    const s = await create();
    const r = await call<{ successful: Array<{ index: number }>; failed: Array<{ index: number; error: { code: string } }> }>(t, 'POST', '/api/v1/scheduling/batch', {
      body: {
        operations: [
          { type: 'create_schedule', data: sampleSchedule({ title: 'From batch' }) },
          { type: 'update_item', data: { schedule_id: s.id, item_id: s.items![0]!.id, scheduled_time: '2026-12-20T10:00:00Z' } },
          { type: 'delete_item', data: { item_id: 'itm_missing' } },
          { type: 'create_schedule', data: { title: 'bad', items: [] } },
          { type: 'delete_item', data: { schedule_id: s.id, item_id: s.items![1]!.id } },
          { type: 'optimize_schedule', data: { schedule_id: s.id } },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.successful.map((x) => x.index)).toEqual([0, 1, 4, 5]);
    expect(r.json.failed.map((x) => [x.index, x.error.code])).toEqual([
      [2, 'not_found'],
      [3, 'validation_failed'],
    ]);
    const tooMany = await call(t, 'POST', '/api/v1/scheduling/batch', { body: { operations: Array.from({ length: 101 }, () => ({ type: 'delete_item', data: {} })) } });
    expect(tooMany.status).toBe(400);
  });

  it('ingests metrics idempotently and learns from them', async () => {
    const obs = { content_id: 'm1', platform: 'tiktok', published_at: '2026-11-20T18:00:00Z', impressions: 1000, engagements: 80 };
    const first = await call<{ accepted: number; duplicates: number }>(t, 'POST', '/api/v1/scheduling/metrics', { body: [obs, { ...obs, content_id: 'm2' }] });
    expect(first.json).toEqual({ accepted: 2, duplicates: 0 });
    const again = await call<{ accepted: number; duplicates: number }>(t, 'POST', '/api/v1/scheduling/metrics', {
      body: [{ ...obs, published_at: '2026-11-20T19:00:00+01:00' }, { ...obs, content_id: 'm3' }],
    });
    expect(again.json).toEqual({ accepted: 1, duplicates: 1 });
    const single = await call<{ accepted: number; duplicates: number }>(t, 'POST', '/api/v1/scheduling/metrics', { body: obs });
    expect(single.json).toEqual({ accepted: 0, duplicates: 1 });
    const heat = await call<{ grid: number[][]; platform: string }>(t, 'GET', '/api/v1/scheduling/recommendations/heatmap?platform=tiktok&timezone=Europe/Berlin');
    expect(heat.status).toBe(200);
    expect(heat.json.grid).toHaveLength(7);
    expect(heat.json.grid.every((row) => row.length === 24)).toBe(true);
  });

  it('recommendations accept every spelling of the query and name bad fields', async () => {
    const comma = await call<{ data: Array<{ platform: string }>; meta: { timezone: string } }>(
      t,
      'GET',
      '/api/v1/scheduling/recommendations?platforms=youtube,linkedin&targetCount=4&timezone=Asia/Tokyo',
    );
    expect(comma.status).toBe(200);
    expect(comma.json.data.length).toBeLessThanOrEqual(4);
    expect(comma.json.meta.timezone).toBe('Asia/Tokyo');
    const repeated = await call<{ data: unknown[] }>(t, 'GET', '/api/v1/scheduling/recommendations?platforms=youtube&platforms=tiktok&target_count=2');
    expect(repeated.status).toBe(200);
    const bad = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/recommendations?platforms=myspace&target_count=500&timezone=Nowhere');
    expect(bad.status).toBe(400);
    expect(bad.json.error.details?.map((d) => d.path).sort()).toEqual(['platforms[0]', 'target_count', 'timezone']);
    const gap = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/recommendations?platforms=youtube&timezone=America/New_York&start=2026-03-08T02:30:00-05:00');
    expect(gap.status).toBe(400);
    expect(gap.json.error.details?.[0]?.path).toBe('start');
    const none = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/recommendations');
    expect(none.json.error.details?.[0]?.path).toBe('platforms');
  });

  it('auth: token grants, rotation, 401 with WWW-Authenticate', async () => {
    const missing = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/calendar', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.json.error.code).toBe('unauthorized');
    expect((await call(t, 'GET', '/api/v1/scheduling/calendar', { token: 'cad_not-a-key' })).status).toBe(401);
    const badKey = await call(t, 'POST', '/api/v1/auth/token', { token: null, body: { grant_type: 'api_key', api_key: 'cad_nope' } });
    expect(badKey.status).toBe(401);
    const granted = await call<{ access_token: string; refresh_token: string; expires_in: number; token_type: string }>(t, 'POST', '/api/v1/auth/token', {
      token: null,
      body: { grant_type: 'api_key', api_key: t.apiKey },
    });
    expect(granted.json).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const rotated = await call<{ access_token: string; refresh_token: string }>(t, 'POST', '/api/v1/auth/token', {
      token: null,
      body: { grant_type: 'refresh_token', refresh_token: granted.json.refresh_token },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.refresh_token).not.toBe(granted.json.refresh_token);
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: rotated.json.access_token })).status).toBe(200);
    // Keys and tokens are stored hashed only.
    const db = t.server.context.storage.db;
    const stored = JSON.stringify([
      await db.selectFrom('api_keys').selectAll().execute(),
      await db.selectFrom('refresh_tokens').selectAll().execute(),
      await db.selectFrom('access_tokens').selectAll().execute(),
    ]);
    for (const secret of [t.apiKey, granted.json.refresh_token, rotated.json.refresh_token, rotated.json.access_token]) expect(stored).not.toContain(secret);
    // Presenting the spent refresh token again revokes the family, including the newest tokens.
    const reuse = await call(t, 'POST', '/api/v1/auth/token', { token: null, body: { grant_type: 'refresh_token', refresh_token: granted.json.refresh_token } });
    expect(reuse.status).toBe(401);
    expect((await call(t, 'GET', '/api/v1/scheduling/platforms', { token: rotated.json.access_token })).status).toBe(401);
    const newest = await call(t, 'POST', '/api/v1/auth/token', { token: null, body: { grant_type: 'refresh_token', refresh_token: rotated.json.refresh_token } });
    expect(newest.status).toBe(401);
  });

  it('serves platforms, openapi.json and Prometheus metrics', async () => {
    const platforms = await call<{ data: Array<{ id: string; default_max_per_day: number }> }>(t, 'GET', '/api/v1/scheduling/platforms');
    expect(platforms.json.data.map((p) => p.id)).toEqual(['youtube', 'tiktok', 'instagram', 'linkedin']);
    expect(platforms.headers.get('cache-control')).toContain('max-age=3600');
    const spec = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(t, 'GET', '/openapi.json', { token: null });
    expect(spec.json.openapi).toBe('3.1.0');
    expect(Object.keys(spec.json.paths)).toContain('/api/v1/scheduling/calendar/{id}/items/{item_id}');
    expect(JSON.stringify(spec.json.paths['/api/v1/scheduling/calendar'])).toContain('processing_deadline_ms');
    const metrics = await call(t, 'GET', '/metrics', { token: null });
    expect(metrics.text).toMatch(/cadence_http_requests_total\{method="GET",route="\/api\/v1\/scheduling\/platforms",status="200"\} \d+/);
    expect(metrics.text).toContain('cadence_http_request_duration_seconds_bucket');
    expect(metrics.headers.get('x-request-id')).toMatch(/^req_/);
  });
});

forEachDialect((dialect) => {
  it('a large optimization answers 202 and is read back when done', async () => {
    const t = await startTestServer({ dialect, rateLimit: false, optimizeAsyncThreshold: 1 });
    try {
      const s = (await call<Schedule>(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule() })).json;
      const queued = await call<{ optimization_id: string; status: string }>(t, 'POST', '/api/v1/scheduling/optimize', { body: { schedule_id: s.id } });
      expect(queued.status).toBe(202);
      expect(queued.json.status).toBe('queued');
      let status = 'queued';
      for (let i = 0; i < 100 && status === 'queued'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await call<{ status: string }>(t, 'GET', `/api/v1/scheduling/optimizations/${queued.json.optimization_id}`)).json.status;
      }
      expect(['completed', 'infeasible']).toContain(status);
      const events = await t.server.context.storage.db.selectFrom('events').select('type').where('schedule_id', '=', s.id).execute();
      expect(events.map((e) => e.type)).toContain('optimization.completed');
    } finally {
      await t.close();
    }
  });
});
