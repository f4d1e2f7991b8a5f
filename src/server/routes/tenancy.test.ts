import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, sampleSchedule } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

interface Created {
  id: string;
  items: Array<{ id: string; content_id: string; platform: string; scheduled_time: string }>;
}

forEachDialect((dialect) => {
  let t: TestServer;
  let other: string;
  let schedule: Created;
  let optimizationId: string;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
    other = (await t.createAccount()).apiKey;
    schedule = (await call<Created>(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule({ title: 'Secret plan of A' }) })).json;
    const opt = await call<{ optimization_id: string }>(t, 'POST', '/api/v1/scheduling/optimize', { body: { schedule_id: schedule.id } });
    expect(opt.status).toBe(200);
    optimizationId = opt.json.optimization_id;
  });
  afterAll(() => t.close());

  it("account B gets 404 on every route for A's ids, and never A's data", async () => {
    const s = schedule.id;
    const i = schedule.items[0]!;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/scheduling/calendar/${s}`],
      ['GET', `/api/v1/scheduling/calendar/${s}?expand=items,metrics`],
      ['PATCH', `/api/v1/scheduling/calendar/${s}`, { title: 'mine now' }],
      ['DELETE', `/api/v1/scheduling/calendar/${s}`],
      ['POST', `/api/v1/scheduling/calendar/${s}/items`, { content_id: 'x', platform: 'youtube', scheduled_time: '2026-12-05T10:00:00Z' }],
      ['PATCH', `/api/v1/scheduling/calendar/${s}/items/${i.id}`, { scheduled_time: '2026-12-05T10:00:00Z' }],
      ['DELETE', `/api/v1/scheduling/calendar/${s}/items/${i.id}`],
      ['POST', `/api/v1/scheduling/calendar/${s}/optimize`, { apply: true }],
      ['POST', '/api/v1/scheduling/optimize', { schedule_id: s, apply: true }],
      ['GET', `/api/v1/scheduling/optimizations/${optimizationId}`],
      ['POST', `/api/v1/scheduling/optimizations/${optimizationId}/apply`, {}],
    ];
    for (const [method, path, body] of routes) {
      const r = await call(t, method, path, { body, token: other });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
      expect((r.json as { error: { code: string } }).error.code).toBe('not_found');
      expect(r.text).not.toContain('Secret plan');
    }
    const batch = await call<{ successful: unknown[]; failed: Array<{ error: { code: string } }> }>(t, 'POST', '/api/v1/scheduling/batch', {
      token: other,
      body: {
        operations: [
          { type: 'update_item', data: { schedule_id: s, item_id: i.id, scheduled_time: '2026-12-05T10:00:00Z' } },
          { type: 'update_item', data: { item_id: i.id, scheduled_time: '2026-12-05T10:00:00Z' } },
          { type: 'delete_item', data: { schedule_id: s, item_id: i.id } },
          { type: 'optimize_schedule', data: { schedule_id: s, apply: true } },
        ],
      },
    });
    expect(batch.status).toBe(200);
    expect(batch.json.successful).toHaveLength(0);
    expect(batch.json.failed.map((f) => f.error.code)).toEqual(['not_found', 'not_found', 'not_found', 'not_found']);
    const list = await call<{ data: unknown[] }>(t, 'GET', '/api/v1/scheduling/calendar', { token: other });
    expect(list.json.data).toHaveLength(0);

    // A's schedule is untouched.
    const mine = await call<{ title: string; status: string; version: number; items: Array<{ version: number; scheduled_time: string }> }>(
      t,
      'GET',
      `/api/v1/scheduling/calendar/${s}?expand=items`,
    );
    expect(mine.json.title).toBe('Secret plan of A');
    expect(mine.json.status).toBe('active');
    expect(mine.json.version).toBe(1);
    expect(mine.json.items).toHaveLength(2);
    expect(mine.json.items.every((item) => item.version === 1)).toBe(true);
  });
});
