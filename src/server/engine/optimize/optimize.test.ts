import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { OptimizationChangeSchema, PLATFORMS, type Constraints, type Platform } from '../../../shared/api';
import type { CalendarItem, OptimizeInput } from '../types';
import { checkSchedule } from '../testing/check-schedule';
import { optimize } from './optimize';
import { highsPool } from './pool';

afterAll(async () => {
  await highsPool().close();
});

const MIN = 60_000;

const ZONES = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago'] as const;
/** A horizon start in the days before each zone's DST change in 2026. */
const DST_STARTS: Record<(typeof ZONES)[number], string[]> = {
  'America/New_York': ['2026-03-06T12:00:00Z', '2026-10-30T12:00:00Z'],
  'Europe/London': ['2026-03-27T12:00:00Z', '2026-10-23T12:00:00Z'],
  'Australia/Lord_Howe': ['2026-04-03T12:00:00Z', '2026-10-02T12:00:00Z'],
  'America/Santiago': ['2026-04-03T12:00:00Z', '2026-09-04T12:00:00Z'],
};

const instanceArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    which: fc.integer({ min: 0, max: 1 }),
    channels: fc.integer({ min: 1, max: 3 }),
    items: fc.array(
      fc.record({
        channel: fc.integer({ min: 0, max: 2 }),
        offsetMin: fc.integer({ min: 0, max: 4 * 24 * 4 }),
        jitter: fc.integer({ min: 0, max: 14 }),
        locked: fc.integer({ min: 0, max: 99 }),
        status: fc.constantFrom('scheduled', 'scheduled', 'scheduled', 'scheduled', 'published', 'cancelled'),
      }),
      { minLength: 1, maxLength: 14 },
    ),
    spacing: fc.constantFrom(0, 30, 60, 120, 180),
    cap: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    shift: fc.option(fc.constantFrom(60, 240, 720, 1440, 2880), { nil: undefined }),
    blackouts: fc.array(fc.record({ at: fc.integer({ min: 0, max: 96 }), hours: fc.integer({ min: 1, max: 12 }), platform: fc.option(fc.constantFrom(...PLATFORMS), { nil: undefined }) }), { maxLength: 2 }),
    bounded: fc.constantFrom(0, 4, 4, 1),
  })
  .map((r): OptimizeInput => {
    const start = Date.parse(DST_STARTS[r.zone][r.which] as string);
    const now = start - 3600_000;
    const items: CalendarItem[] = r.items.map((it, i) => {
      const ch = it.channel % r.channels;
      const platform = PLATFORMS[ch % PLATFORMS.length] as Platform;
      const at = start + it.offsetMin * 15 * MIN + it.jitter * MIN;
      return { id: `i${i}`, content_id: `c${i}`, platform, channel: `${platform}:@${ch}`, scheduled_time: new Date(at).toISOString(), status: it.status as CalendarItem['status'] };
    });
    const constraints: Constraints = {
      min_spacing_minutes: r.spacing,
      blackout: r.blackouts.map((b) => ({
        start: new Date(start + b.at * 3600_000).toISOString(),
        end: new Date(start + (b.at + b.hours) * 3600_000).toISOString(),
        ...(b.platform ? { platforms: [b.platform] } : {}),
      })),
      locked_content_ids: r.items.flatMap((it, i) => (it.locked < 12 ? [`c${i}`] : [])),
    };
    if (r.cap !== undefined) constraints.max_per_day = r.cap;
    if (r.shift !== undefined) constraints.max_shift_minutes = r.shift;
    if (r.bounded > 0) {
      // A one-day window with a cap is often too small on purpose: infeasible answers are tested too.
      constraints.earliest = new Date(start).toISOString();
      constraints.latest = new Date(start + r.bounded * 86_400_000).toISOString();
    }
    return { items, timezone: r.zone, constraints, history: [], now };
  });

describe('optimize: properties on random instances (DST-crossing horizons in four zones)', () => {
  it('never proposes a schedule that breaks a constraint; exact ≥ heuristic; LP bound ≥ exact', async () => {
    let completed = 0;
    let infeasible = 0;
    let moved = 0;
    await fc.assert(
      fc.asyncProperty(instanceArb, async (input) => {
        const heuristic = await optimize({ ...input, method: 'heuristic', timeBudgetMs: 20_000 });
        const exact = await optimize({ ...input, method: 'exact', timeBudgetMs: 20_000 });
        // No time for any LP: the heuristic answers and the bound comes from Lagrangian pricing.
        const rushed = await optimize({ ...input, method: 'auto', timeBudgetMs: 1 });
        expect(exact.status).toBe(heuristic.status);
        if (exact.status === 'infeasible') {
          infeasible++;
          expect(exact.infeasible?.constraint).toMatch(/^(blackout|min_spacing_minutes|max_per_day|max_shift_minutes|earliest|latest)$/);
          expect(exact.infeasible?.item_ids.length).toBeGreaterThan(0);
          expect(exact.changes).toEqual([]);
          return;
        }
        completed++;
        moved += exact.changes.length;
        expect(checkSchedule(input, heuristic)).toEqual([]);
        expect(checkSchedule(input, exact)).toEqual([]);
        if (rushed.status === 'completed') {
          expect(checkSchedule(input, rushed)).toEqual([]);
          expect(rushed.objective.upper_bound).toBeGreaterThanOrEqual(exact.objective.after - 1e-6);
          expect(rushed.objective.after).toBeLessThanOrEqual(exact.objective.after + 1e-6);
        }
        expect(exact.objective.after).toBeGreaterThanOrEqual(heuristic.objective.after - 1e-6);
        expect(exact.objective.upper_bound).toBeGreaterThanOrEqual(exact.objective.after - 1e-6);
        expect(exact.solver.gap).toBeGreaterThanOrEqual(0);
        for (const ch of exact.changes) OptimizationChangeSchema.parse(ch);
      }),
      { numRuns: 120, seed: 20261125 },
    );
    // The generator must exercise both outcomes, or the property says little.
    expect(completed).toBeGreaterThan(20);
    expect(infeasible).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(completed * 2);
  }, 120_000);
});

describe('optimize: units', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const item = (id: string, at: string, extra: Partial<CalendarItem> = {}): CalendarItem => ({
    id,
    content_id: `c_${id}`,
    platform: 'tiktok',
    channel: 'tiktok:@a',
    scheduled_time: at,
    status: 'scheduled',
    ...extra,
  });

  it('reports what the current schedule breaks and moves items to better, legal times', async () => {
    const input: OptimizeInput = {
      items: [item('a', '2026-06-02T03:00:00Z'), item('b', '2026-06-02T03:30:00Z'), item('c', '2026-06-02T04:00:00Z', { channel: 'tiktok:@b' })],
      timezone: 'UTC',
      constraints: { min_spacing_minutes: 120, max_per_day: 2, max_shift_minutes: 24 * 60 },
      history: [],
      now,
    };
    const out = await optimize(input);
    expect(out.status).toBe('completed');
    expect(out.violations_before).toEqual([
      expect.objectContaining({ constraint: 'min_spacing_minutes', item_ids: ['a', 'b'] }),
    ]);
    expect(checkSchedule(input, out)).toEqual([]);
    expect(out.objective.after).toBeGreaterThan(out.objective.before);
    expect(out.objective.uplift_pct).toBeGreaterThan(0);
    const a = out.changes.find((ch) => ch.item_id === 'a');
    expect(a?.score_after).toBeGreaterThan(a?.score_before ?? 1);
    expect(a?.reasons.join(' ')).toMatch(/Predicted engagement .* → .* at Tuesday \d\d:\d\d local time/);
    expect(out.changes.find((ch) => ch.item_id === 'b')?.reasons[0]).toBe('Its current time breaks min_spacing_minutes');
    expect(out.solver.method).toMatch(/highs/);
  });

  it('keeps locked, published and past items where they are', async () => {
    const input: OptimizeInput = {
      items: [
        item('locked', '2026-06-02T03:00:00Z'),
        item('pub', '2026-06-02T10:00:00Z', { status: 'published' }),
        item('past', '2026-05-31T03:00:00Z'),
        item('free', '2026-06-02T04:00:00Z'),
      ],
      timezone: 'UTC',
      constraints: { min_spacing_minutes: 180, locked_content_ids: ['c_locked'] },
      history: [],
      now,
    };
    const out = await optimize(input);
    expect(out.changes.map((ch) => ch.item_id)).toEqual(['free']);
    expect(checkSchedule(input, out)).toEqual([]);
  });

  it('names the constraint that makes a request infeasible', async () => {
    const blackout = await optimize({
      items: [item('a', '2026-06-02T12:00:00Z')],
      timezone: 'UTC',
      constraints: { max_shift_minutes: 60, blackout: [{ start: '2026-06-02T10:00:00Z', end: '2026-06-02T14:00:00Z' }] },
      history: [],
      now,
    });
    expect(blackout.status).toBe('infeasible');
    expect(blackout.infeasible).toEqual(expect.objectContaining({ constraint: 'blackout', item_ids: ['a'] }));

    const cap = await optimize({
      items: ['a', 'b', 'c'].map((id, i) => item(id, `2026-06-02T1${i}:00:00Z`)),
      timezone: 'UTC',
      constraints: { max_per_day: 2, min_spacing_minutes: 30, earliest: '2026-06-02T00:00:00Z', latest: '2026-06-02T23:45:00Z' },
      history: [],
      now,
    });
    expect(cap.status).toBe('infeasible');
    expect(cap.infeasible?.constraint).toBe('max_per_day');
    expect(cap.infeasible?.item_ids.sort()).toEqual(['a', 'b', 'c']);

    const spacing = await optimize({
      items: ['a', 'b', 'c'].map((id, i) => item(id, `2026-06-02T1${i}:00:00Z`)),
      timezone: 'UTC',
      constraints: { min_spacing_minutes: 6 * 60, earliest: '2026-06-02T08:00:00Z', latest: '2026-06-02T18:00:00Z' },
      history: [],
      now,
    });
    expect(spacing.status).toBe('infeasible');
    expect(spacing.infeasible?.constraint).toBe('min_spacing_minutes');
  });

  it('counts daily caps in local days that are 25 h long (New York, fall back)', async () => {
    // 00:30 EDT and 23:30 EST on 2026-11-01 are exactly 24 h apart yet on the same local day.
    const input: OptimizeInput = {
      items: [item('a', '2026-11-01T04:30:00Z'), item('b', '2026-11-02T04:30:00Z')],
      timezone: 'America/New_York',
      constraints: { max_per_day: 1, min_spacing_minutes: 60, max_shift_minutes: 120 },
      history: [],
      now: Date.parse('2026-10-30T00:00:00Z'),
    };
    const out = await optimize(input);
    expect(out.violations_before).toEqual([expect.objectContaining({ constraint: 'max_per_day', item_ids: ['a', 'b'] })]);
    expect(out.status).toBe('completed');
    expect(out.changes.length).toBeGreaterThanOrEqual(1);
    expect(checkSchedule(input, out)).toEqual([]);
  });

  it('splits a team calendar into channels: the same instant on two channels is fine', async () => {
    const input: OptimizeInput = {
      items: [item('a', '2026-06-02T16:00:00Z'), item('b', '2026-06-02T16:00:00Z', { channel: 'tiktok:@b' })],
      timezone: 'UTC',
      constraints: { min_spacing_minutes: 120, max_shift_minutes: 30 },
      history: [],
      now,
    };
    const out = await optimize(input);
    expect(out.violations_before).toEqual([]);
    expect(checkSchedule(input, out)).toEqual([]);
  });
});
