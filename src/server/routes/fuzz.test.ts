/**
 * Property tests: random and malformed bodies at every POST/PATCH. The server must answer a
 * 4xx in the contract's error shape (or a 2xx when the body really is valid), never a 5xx, and a
 * rejected request must not have written anything (row counts, including the event log, unchanged).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { z } from 'zod';
import { ApiErrorBodySchema } from '../../shared/api/common';
import {
  ApplyOptimizationSchema,
  BatchRequestSchema,
  CreateScheduleSchema,
  ItemPatchSchema,
  MetricsIngestSchema,
  NewItemSchema,
  OptimizeRequestSchema,
  SchedulePatchSchema,
  TokenRequestSchema,
} from '../../shared/api/resources';
import { call, rowCounts, sampleSchedule } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

const NUM_RUNS = Number(process.env.CADENCE_FUZZ_RUNS ?? 15);

/** Values that stress parsers: wrong types, huge/odd numbers, prototype keys, deep nesting. */
const nasty = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2, '', ' ', '2026-13-45T99:99:99Z', '2026-12-01T18:00:00', 'myspace', '__proto__'),
  fc.string({ maxLength: 300 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'title', 'items', 'platform', 'x'), fc.anything({ maxDepth: 2 })),
);

/** A valid schedule with one field somewhere replaced by a nasty value (often invalid, sometimes not). */
const mutatedSchedule = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.constantFrom('title', 'timezone', 'content_id', 'platform', 'scheduled_time', 'channel', 'metadata', 'callbacks', 'extra'), nasty)
  .map(([count, pick, field, value]) => {
    const items: Array<Record<string, unknown>> = Array.from({ length: count }, (_, i) => ({
      content_id: `c${i}`,
      platform: 'youtube',
      scheduled_time: `2026-12-0${1 + (i % 9)}T1${i % 10}:00:00Z`,
    }));
    const body: Record<string, unknown> = { title: 'Fuzz', timezone: 'America/New_York', items };
    if (field === 'title' || field === 'timezone') body[field] = value;
    else items[pick % count]![field] = value;
    return body;
  });

/** DST gaps and offset-less times hidden in the middle of an otherwise valid list. */
const sneakyBadItem = fc.tuple(fc.integer({ min: 2, max: 8 }), fc.nat(), fc.constantFrom('2026-03-08T02:30:00-05:00', '2026-03-08T02:30:00-04:00', '2026-12-01T18:00:00', '2026-02-30T10:00:00Z')).map(
  ([count, pick, badTime]) => ({
    title: 'Sneaky',
    timezone: 'America/New_York',
    items: Array.from({ length: count }, (_, i) => ({
      content_id: `s${i}`,
      platform: 'tiktok',
      scheduled_time: i === pick % count ? badTime : `2026-12-1${i % 10}T10:00:00Z`,
    })),
  }),
);

const anyBody = fc.oneof(
  { weight: 3, arbitrary: nasty.map((v) => ({ json: v })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"title":', '[1,2', '{"items":[{]}', 'null', '"', '\u0000', '{"a":1}}').map((raw) => ({ raw })) },
);

type Body = { json?: unknown; raw?: string };

/** Whether the body is valid; an absent body counts as `{}` where the route allows that. */
function oracle(schema: z.ZodType, body: Body, emptyIsObject: boolean): boolean {
  if (body.raw !== undefined) {
    if (body.raw === '' && emptyIsObject) return schema.safeParse({}).success;
    try {
      return schema.safeParse(JSON.parse(body.raw)).success;
    } catch {
      return false;
    }
  }
  // What the server sees is the JSON text: undefined members vanish, undefined itself is no body.
  if (body.json === undefined) return emptyIsObject && schema.safeParse({}).success;
  return schema.safeParse(JSON.parse(JSON.stringify(body.json))).success;
}

forEachDialect((dialect) => {
  let t: TestServer;
  let scheduleId: string;
  let itemId: string;
  let optimizationId: string;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
    const created = await call<{ id: string; items: Array<{ id: string }> }>(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule() });
    scheduleId = created.json.id;
    itemId = created.json.items[0]!.id;
    optimizationId = (await call<{ optimization_id: string }>(t, 'POST', '/api/v1/scheduling/optimize', { body: { schedule_id: scheduleId } })).json.optimization_id;
  });
  afterAll(() => t.close());

  async function check(method: string, path: string, body: Body, schema: z.ZodType, emptyIsObject: boolean, key: string): Promise<void> {
    const before = await rowCounts(t);
    const r = await call(t, method, path, {
      ...(body.raw !== undefined ? { raw: body.raw } : { raw: body.json === undefined ? '' : JSON.stringify(body.json) }),
      headers: method === 'POST' ? { 'idempotency-key': key } : {},
    });
    expect(r.status, `${method} ${path} ${r.text}`).toBeLessThan(500);
    const valid = oracle(schema, body, emptyIsObject);
    if (!valid) expect(r.status, `${method} ${path} accepted ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
    if (r.status >= 400) {
      expect(ApiErrorBodySchema.safeParse(r.json).success, r.text).toBe(true);
      const after = await rowCounts(t);
      const { idempotency_keys: keysBefore, ...restBefore } = before;
      const { idempotency_keys: keysAfter, ...restAfter } = after;
      expect(restAfter).toEqual(restBefore);
      if (r.status === 400) expect(keysAfter).toBe(keysBefore);
    }
  }

  const routes: Array<{ name: string; method: string; path: () => string; schema: () => z.ZodType; emptyIsObject?: boolean }> = [
    { name: 'POST /calendar', method: 'POST', path: () => '/api/v1/scheduling/calendar', schema: () => CreateScheduleSchema },
    { name: 'PATCH /calendar/:id', method: 'PATCH', path: () => `/api/v1/scheduling/calendar/${scheduleId}`, schema: () => SchedulePatchSchema, emptyIsObject: true },
    { name: 'POST /calendar/:id/items', method: 'POST', path: () => `/api/v1/scheduling/calendar/${scheduleId}/items`, schema: () => NewItemSchema },
    { name: 'PATCH /items/:id', method: 'PATCH', path: () => `/api/v1/scheduling/calendar/${scheduleId}/items/${itemId}`, schema: () => ItemPatchSchema, emptyIsObject: true },
    { name: 'POST /optimize', method: 'POST', path: () => '/api/v1/scheduling/optimize', schema: () => OptimizeRequestSchema },
    { name: 'POST /calendar/:id/optimize', method: 'POST', path: () => `/api/v1/scheduling/calendar/${scheduleId}/optimize`,
      // The path names the schedule; the body adds targets, constraints and apply.
      schema: () => OptimizeRequestSchema.omit({ schedule_id: true }),
      emptyIsObject: true,
    },
    { name: 'POST /optimizations/:id/apply', method: 'POST', path: () => `/api/v1/scheduling/optimizations/${optimizationId}/apply`, schema: () => ApplyOptimizationSchema, emptyIsObject: true },
    { name: 'POST /metrics', method: 'POST', path: () => '/api/v1/scheduling/metrics', schema: () => MetricsIngestSchema },
    { name: 'POST /batch', method: 'POST', path: () => '/api/v1/scheduling/batch', schema: () => BatchRequestSchema },
    { name: 'POST /auth/token', method: 'POST', path: () => '/api/v1/auth/token', schema: () => TokenRequestSchema },
  ];

  for (const route of routes) {
    it(`${route.name}: random and malformed bodies → 4xx contract errors, no writes`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(anyBody, async (body) => {
          n += 1;
          await check(route.method, route.path(), body, route.schema(), route.emptyIsObject ?? false, `fuzz_${route.name}_${n}_${Math.random()}`);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it('POST /optimize: any schema-valid constraints get an answer, never a 5xx', async () => {
    const instant = fc.integer({ min: Date.UTC(2026, 10, 1), max: Date.UTC(2027, 1, 1) }).map((ms) => new Date(ms - (ms % 60_000)).toISOString());
    const constraints = fc.record(
      {
        min_spacing_minutes: fc.integer({ min: 0, max: 7 * 24 * 60 }),
        max_per_day: fc.integer({ min: 1, max: 100 }),
        blackout: fc.array(
          fc.record({ start: instant, end: instant, platforms: fc.subarray(['youtube', 'tiktok', 'instagram', 'linkedin'] as const) }),
          { maxLength: 3 },
        ),
        earliest: instant,
        latest: instant,
        max_shift_minutes: fc.integer({ min: 0, max: 60 * 24 * 60 }),
        locked_content_ids: fc.subarray(['video_1', 'clip_1', 'other']),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(constraints, fc.boolean(), async (c, apply) => {
        const r = await call(t, 'POST', '/api/v1/scheduling/optimize', { body: { schedule_id: scheduleId, constraints: c, apply } });
        expect(r.status, `${JSON.stringify(c)} → ${r.text}`).toBeLessThan(500);
        if (r.status >= 400) expect(ApiErrorBodySchema.safeParse(r.json).success).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /calendar: one bad item anywhere rejects the whole schedule, naming its path', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedSchedule, sneakyBadItem), async (body) => {
        const before = await rowCounts(t);
        const r = await call(t, 'POST', '/api/v1/scheduling/calendar', { body });
        expect(r.status).toBeLessThan(500);
        if (r.status >= 400) {
          const error = ApiErrorBodySchema.parse(r.json).error;
          expect(error.details?.length ?? 0).toBeGreaterThan(0);
          const { idempotency_keys: _a, ...b } = before;
          const { idempotency_keys: _b, ...a } = await rowCounts(t);
          expect(a).toEqual(b);
        } else {
          expect(CreateScheduleSchema.safeParse(JSON.parse(JSON.stringify(body))).success).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS * 2 },
    );
    const gap = await call(t, 'POST', '/api/v1/scheduling/calendar', {
      body: { title: 'g', timezone: 'America/New_York', items: [{ content_id: 'a', platform: 'youtube', scheduled_time: '2026-12-01T10:00:00Z' }, { content_id: 'b', platform: 'youtube', scheduled_time: '2026-03-08T02:30:00-05:00' }] },
    });
    expect(gap.status).toBe(400);
    expect(ApiErrorBodySchema.parse(gap.json).error.details?.[0]?.path).toBe('items[1].scheduled_time');
  });
});
