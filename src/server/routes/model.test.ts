/**
 * Model-based test: random sequences of calendar operations against a real server, checked after
 * every step against a plain in-memory model (items, times, statuses, versions), and the event
 * log checked to hold exactly one event per announced change, in order, without gaps.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Item, Schedule } from '../../shared/api/resources';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

interface ModelItem {
  scheduled_time: string;
  status: string;
  version: number;
}
interface ModelSchedule {
  id: string;
  status: 'active' | 'cancelled';
  version: number;
  title: string;
  items: Map<string, ModelItem>;
}

type Op =
  | { kind: 'create'; hours: number[] }
  | { kind: 'add'; pick: number; hour: number }
  | { kind: 'move'; pick: number; item: number; hour: number; stale: boolean }
  | { kind: 'removeItem'; pick: number; item: number }
  | { kind: 'rename'; pick: number; title: string; stale: boolean }
  | { kind: 'cancel'; pick: number };

const hour = fc.integer({ min: 0, max: 24 * 20 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), hours: fc.array(hour, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('add' as const), pick: fc.nat(), hour }),
  fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), item: fc.nat(), hour, stale: fc.boolean() }),
  fc.record({ kind: fc.constant('removeItem' as const), pick: fc.nat(), item: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), title: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim().length > 0), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
);

const at = (h: number) => new Date(Date.UTC(2026, 11, 1) + h * 3600_000).toISOString().replace('.000Z', 'Z');

forEachDialect((dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
  });
  afterAll(() => t.close());

  it('random operation sequences keep the server equal to the model, with one event per change', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const account = await t.createAccount();
        const token = account.apiKey;
        const schedules: ModelSchedule[] = [];
        let expectedEvents = 0;
        for (const o of ops) {
          if (o.kind === 'create') {
            const r = await call<Schedule>(t, 'POST', '/api/v1/scheduling/calendar', {
              token,
              body: { title: 'M', timezone: 'Europe/Paris', items: o.hours.map((h, i) => ({ content_id: `c${i}`, platform: 'youtube', scheduled_time: at(h) })) },
            });
            expect(r.status).toBe(201);
            schedules.push({
              id: r.json.id,
              status: 'active',
              version: 1,
              title: 'M',
              items: new Map(r.json.items!.map((i) => [i.id, { scheduled_time: i.scheduled_time, status: 'scheduled', version: 1 }])),
            });
            expectedEvents += 1;
            continue;
          }
          const s = schedules.length ? schedules[o.pick % schedules.length] : undefined;
          if (!s) continue;
          const itemIds = [...s.items.keys()];
          if (o.kind === 'add') {
            const r = await call<Item>(t, 'POST', `/api/v1/scheduling/calendar/${s.id}/items`, { token, body: { content_id: 'added', platform: 'tiktok', scheduled_time: at(o.hour) } });
            if (s.status === 'cancelled') {
              expect(r.status).toBe(409);
            } else {
              expect(r.status).toBe(201);
              s.items.set(r.json.id, { scheduled_time: at(o.hour), status: 'scheduled', version: 1 });
              expectedEvents += 1;
            }
          } else if (o.kind === 'move' && itemIds.length) {
            const id = itemIds[o.item % itemIds.length]!;
            const m = s.items.get(id)!;
            const r = await call<Item>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}/items/${id}`, {
              token,
              body: { scheduled_time: at(o.hour) },
              headers: { 'if-match': String(o.stale ? m.version + 1 : m.version) },
            });
            if (o.stale) expect(r.status).toBe(409);
            else if (m.status !== 'scheduled') expect(r.status).toBe(m.scheduled_time === at(o.hour) ? 200 : 409);
            else {
              expect(r.status).toBe(200);
              if (m.scheduled_time !== at(o.hour)) {
                m.scheduled_time = at(o.hour);
                m.version += 1;
                expectedEvents += 1;
              }
            }
          } else if (o.kind === 'removeItem' && itemIds.length) {
            const id = itemIds[o.item % itemIds.length]!;
            const r = await call(t, 'DELETE', `/api/v1/scheduling/calendar/${s.id}/items/${id}`, { token });
            expect(r.status).toBe(200);
            s.items.delete(id);
            expectedEvents += 1;
          } else if (o.kind === 'rename') {
            const r = await call<Schedule>(t, 'PATCH', `/api/v1/scheduling/calendar/${s.id}`, {
              token,
              body: { title: o.title },
              headers: { 'if-match': String(o.stale ? s.version + 7 : s.version) },
            });
            if (o.stale) expect(r.status).toBe(409);
            else {
              expect(r.status).toBe(200);
              if (o.title.trim() !== s.title) {
                s.title = o.title.trim();
                s.version += 1;
                expectedEvents += 1;
              }
            }
          } else if (o.kind === 'cancel') {
            const r = await call<Schedule>(t, 'DELETE', `/api/v1/scheduling/calendar/${s.id}`, { token });
            expect(r.status).toBe(200);
            if (s.status !== 'cancelled') {
              for (const m of s.items.values()) {
                if (m.status === 'scheduled') {
                  m.status = 'cancelled';
                  m.version += 1;
                  expectedEvents += 1;
                }
              }
              s.status = 'cancelled';
              s.version += 1;
              expectedEvents += 1;
            }
          }
        }
        for (const s of schedules) {
          const r = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${s.id}?expand=items`, { token });
          expect(r.json).toMatchObject({ status: s.status, version: s.version, title: s.title, item_count: s.items.size });
          const actual = Object.fromEntries(r.json.items!.map((i) => [i.id, { scheduled_time: i.scheduled_time, status: i.status, version: i.version }]));
          expect(actual).toEqual(Object.fromEntries(s.items));
        }
        const events = await t.server.context.storage.db.selectFrom('events').select('seq').where('account_id', '=', account.accountId).orderBy('seq').execute();
        expect(events.map((e) => Number(e.seq))).toEqual(Array.from({ length: expectedEvents }, (_, i) => i + 1));
      }),
      { numRuns: Number(process.env.CADENCE_MODEL_RUNS ?? 6) },
    );
  });
});
