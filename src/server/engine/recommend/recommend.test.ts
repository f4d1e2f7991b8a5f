import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeatmapSchema, RecommendationSchema, type Platform } from '../../../shared/api';
import { Temporal, localDayKey } from '../../../shared/time';
import type { CalendarItem, HistoryObservation } from '../types';
import { MODEL_VERSION, fitModel } from './model';
import { heatmap, localStarts, reasonsFor, recommend, scoreCandidates } from './recommend';

const WEEK = 7 * 86_400_000;

function post(at: number, rate: number, platform: Platform = 'tiktok'): HistoryObservation {
  return { content_id: `c${at}`, platform, published_at: new Date(at).toISOString(), impressions: 10_000, engagements: Math.round(rate * 10_000) };
}

describe('recommend', () => {
  const now = Date.parse('2026-06-01T06:00:00Z'); // Monday
  const base = { targetCount: 10, timezone: 'UTC', start: new Date(now).toISOString(), end: new Date(now + WEEK).toISOString(), durationMinutes: 60, existing: [] as CalendarItem[], now };

  it('explains itself with the actual features: lift over the median, sample size, industry data, spacing', () => {
    const history: HistoryObservation[] = [];
    // 11 Tuesday 17:00 posts at 1.38× the median; many other posts at the median.
    for (let w = 1; w <= 11; w++) history.push(post(Date.parse('2026-06-02T17:00:00Z') - w * WEEK, 0.0138));
    for (let w = 1; w <= 12; w++) for (let k = 0; k < 5; k++) history.push(post(Date.parse('2026-06-01T07:00:00Z') - w * WEEK + k * 31 * 3600_000, 0.01));
    const out = recommend({ ...base, platforms: ['tiktok'], history });
    expect(out.modelVersion).toBe(MODEL_VERSION);
    const tuesday = out.data.find((r) => r.window_start === '2026-06-02T17:00:00Z');
    expect(tuesday, JSON.stringify(out.data.map((r) => r.window_start))).toBeDefined();
    expect(tuesday?.reasons).toContain('Tuesdays 17:00–18:00 earned 38% above your median over 11 posts');
    expect(tuesday?.reasons).toContain('TikTok audiences peak mid-week afternoons (industry data)');
    expect(tuesday?.reasons).toContain('No other TikTok post within 3 h');
    expect(tuesday?.basis).toEqual({ kind: expect.stringMatching(/history|blend/), sample_size: 11 });
  });

  it('an hour without posts is explained by the neighbouring hours the model pooled', () => {
    // Six Wednesdays of posts at 13:00 and 15:00 UTC at 2× the median; none at 14:00.
    const history: HistoryObservation[] = [];
    for (let w = 1; w <= 6; w++) {
      history.push(post(Date.parse('2026-06-03T13:00:00Z') - w * WEEK, 0.02));
      history.push(post(Date.parse('2026-06-03T15:00:00Z') - w * WEEK, 0.02));
    }
    for (let w = 1; w <= 12; w++) for (let k = 0; k < 5; k++) history.push(post(Date.parse('2026-06-01T07:00:00Z') - w * WEEK + k * 31 * 3600_000, 0.01));
    const model = fitModel({ platform: 'tiktok', timezone: 'UTC', history, now });
    const at = Date.parse('2026-06-03T14:00:00Z');
    const [candidate] = scoreCandidates(model, [{ startMs: at, dayIndex: 2, weekday: 2, minuteOfDay: 14 * 60 }], 60, []);
    expect(candidate?.liftPosts).toBe(0);
    expect(reasonsFor(candidate as NonNullable<typeof candidate>, 60, 180, 0)).toContain(
      'Wednesdays 12:00–17:00 earned 100% above your median over 12 posts (none in the window itself; neighbouring hours are pooled)',
    );
    const out = recommend({ ...base, platforms: ['tiktok'], targetCount: 20, history });
    const rec = out.data.find((r) => r.window_start === '2026-06-03T14:00:00Z');
    expect(rec, JSON.stringify(out.data.map((r) => r.window_start))).toBeDefined();
    expect(rec?.basis).toEqual({ kind: expect.stringMatching(/history|blend/), sample_size: 12 });
  });

  it('cites the account\'s rhythm on its other platforms when the model carries it over', () => {
    const history: HistoryObservation[] = [];
    // Instagram: Thursdays 18:00 UTC at 2× its median for 12 weeks; TikTok: posts elsewhere only.
    for (let w = 1; w <= 12; w++) {
      history.push(post(Date.parse('2026-06-04T18:00:00Z') - w * WEEK, 0.02, 'instagram'));
      for (let k = 0; k < 4; k++) history.push(post(Date.parse('2026-06-04T18:00:00Z') - w * WEEK - (k + 1) * 29 * 3600_000, 0.01, 'instagram'));
      for (let k = 0; k < 3; k++) history.push(post(Date.parse('2026-06-01T07:00:00Z') - w * WEEK + k * 31 * 3600_000, 0.01, 'tiktok'));
    }
    const out = recommend({ ...base, platforms: ['tiktok'], targetCount: 20, history });
    const thursday = out.data.find((r) => r.window_start === '2026-06-04T18:00:00Z');
    expect(thursday, JSON.stringify(out.data.map((r) => r.window_start))).toBeDefined();
    expect(thursday?.reasons.join(' | ')).toMatch(/On your other platforms this hour runs \d+% above their median \(model estimate\); the model carries \d+% of that rhythm over to TikTok/);
  });

  it('answers valid, non-overlapping, future windows spread over days, away from scheduled posts', () => {
    const existing: CalendarItem[] = [
      { id: 'i1', content_id: 'x', platform: 'tiktok', channel: 'tiktok', scheduled_time: '2026-06-03T16:00:00Z', status: 'scheduled' },
    ];
    const out = recommend({ ...base, platforms: ['tiktok', 'instagram', 'linkedin', 'youtube'], targetCount: 12, history: [], existing, now: now + 90 * 60_000 });
    expect(out.data).toHaveLength(12);
    const days = new Set<string>();
    const sorted = [...out.data].sort((a, b) => a.window_start.localeCompare(b.window_start));
    for (const r of out.data) {
      RecommendationSchema.parse(r);
      expect(Date.parse(r.window_start)).toBeGreaterThanOrEqual(now + 90 * 60_000);
      expect(Date.parse(r.window_end) - Date.parse(r.window_start)).toBe(3600_000);
      expect(r.basis).toEqual({ kind: 'prior', sample_size: 0 });
      if (r.platform === 'tiktok') expect(Math.abs(Date.parse(r.window_start) - Date.parse('2026-06-03T16:00:00Z'))).toBeGreaterThanOrEqual(15 * 60_000);
      days.add(`${r.platform}:${r.window_start.slice(0, 10)}`);
    }
    for (let i = 1; i < sorted.length; i++) expect(Date.parse(sorted[i]?.window_start ?? '')).toBeGreaterThanOrEqual(Date.parse(sorted[i - 1]?.window_end ?? ''));
    // Spread: no platform gets more than two windows on one day.
    const perDay = new Map<string, number>();
    for (const r of out.data) perDay.set(`${r.platform}:${r.window_start.slice(0, 10)}`, (perDay.get(`${r.platform}:${r.window_start.slice(0, 10)}`) ?? 0) + 1);
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(2);
    expect(days.size).toBeGreaterThanOrEqual(8);
  });

  it('skips local starts inside DST gaps and offers an ambiguous hour once', () => {
    const zone = 'America/New_York';
    const spring = localStarts(Date.parse('2026-03-08T05:00:00Z'), Date.parse('2026-03-09T04:00:00Z'), zone);
    const wall = (ms: number): string => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone).toPlainTime().toString().slice(0, 5);
    expect(spring).toHaveLength(46);
    expect(spring.map((s) => wall(s.startMs))).not.toContain('02:00');
    expect(spring.map((s) => wall(s.startMs))).not.toContain('02:30');
    const fall = localStarts(Date.parse('2026-11-01T04:00:00Z'), Date.parse('2026-11-02T05:00:00Z'), zone);
    expect(fall).toHaveLength(48);
    expect(fall.filter((s) => wall(s.startMs) === '01:30')).toHaveLength(1);
    // Earlier of the two 01:30s, chosen explicitly: EDT (−04:00).
    expect(new Date(fall.find((s) => wall(s.startMs) === '01:30')?.startMs ?? 0).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    // Lord Howe moves by 30 minutes: 02:00 does not exist on 2026-10-04.
    const lh = localStarts(Date.parse('2026-10-03T13:30:00Z'), Date.parse('2026-10-04T13:00:00Z'), 'Australia/Lord_Howe');
    const lhWall = lh.map((s) => Temporal.Instant.fromEpochMilliseconds(s.startMs).toZonedDateTimeISO('Australia/Lord_Howe').toPlainTime().toString().slice(0, 5));
    expect(lhWall).not.toContain('02:00');
    expect(lhWall).toContain('02:30');
    expect(new Set(lh.map((s) => localDayKey(Temporal.Instant.fromEpochMilliseconds(s.startMs), 'Australia/Lord_Howe')))).toEqual(new Set(['2026-10-04']));
  });

  it('recommendations across a DST change never start in a gap', () => {
    const zone = 'Europe/London';
    const start = Date.parse('2026-03-28T00:00:00Z');
    const out = recommend({ ...base, timezone: zone, platforms: ['youtube', 'tiktok'], targetCount: 20, start: new Date(start).toISOString(), end: new Date(start + 3 * 86_400_000).toISOString(), history: [], now: start, durationMinutes: 30 });
    for (const r of out.data) {
      const local = Temporal.Instant.from(r.window_start).toZonedDateTimeISO(zone);
      expect(local.minute % 30).toBe(0);
      expect(Temporal.Instant.from(r.window_end).epochMilliseconds - Temporal.Instant.from(r.window_start).epochMilliseconds).toBe(30 * 60_000);
    }
  });
});

describe('heatmap', () => {
  it('is the 7×24 0..1 grid with its basis', () => {
    const now = Date.parse('2026-06-01T06:00:00Z');
    const prior = heatmap({ platform: 'linkedin', timezone: 'Europe/London', history: [], now });
    HeatmapSchema.parse(prior);
    expect(prior.basis).toEqual({ kind: 'prior', sample_size: 0 });
    expect(prior.model_version).toBe(MODEL_VERSION);
    const history = Array.from({ length: 40 }, (_, i) => post(now - (i + 1) * 86_400_000 - (i % 7) * 3600_000, 0.01 + (i % 5) * 0.002, 'linkedin'));
    const learned = heatmap({ platform: 'linkedin', timezone: 'Europe/London', history, now });
    HeatmapSchema.parse(learned);
    expect(learned.basis.sample_size).toBe(40);
    expect(learned.basis.kind).not.toBe('prior');
  });
});

describe('recommend: properties across zones and DST changes', () => {
  const ZONES = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kathmandu'] as const;
  // Days around each zone's 2026 changes (Santiago's happen at local midnight).
  const STARTS = ['2026-03-06T00:00:00Z', '2026-03-27T00:00:00Z', '2026-04-03T00:00:00Z', '2026-09-04T00:00:00Z', '2026-10-02T00:00:00Z', '2026-10-23T00:00:00Z', '2026-10-30T00:00:00Z'];

  it('windows exist on the local clock, never overlap, start after now, stay in the horizon, and score in 0..1', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.constantFrom(...STARTS),
        fc.integer({ min: 0, max: 48 * 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(15, 30, 60, 90, 240),
        fc.subarray(['youtube', 'tiktok', 'instagram', 'linkedin'] as const, { minLength: 1 }),
        fc.integer({ min: 1, max: 25 }),
        (zone, startIso, nowOffsetMin, days, duration, platforms, targetCount) => {
          const start = Date.parse(startIso);
          const end = start + days * 86_400_000;
          const now = start + nowOffsetMin * 60_000;
          const out = recommend({ platforms: [...platforms], targetCount, timezone: zone, start: startIso, end: new Date(end).toISOString(), durationMinutes: duration, history: [], existing: [], now });
          expect(out.data.length).toBeLessThanOrEqual(targetCount);
          const spans = out.data.map((r) => [Date.parse(r.window_start), Date.parse(r.window_end)] as const).sort((a, b) => a[0] - b[0]);
          for (let i = 0; i < spans.length; i++) {
            const [s, e] = spans[i] as readonly [number, number];
            expect(s).toBeGreaterThanOrEqual(now);
            expect(e).toBeLessThanOrEqual(end);
            expect(e - s).toBe(duration * 60_000);
            if (i > 0) expect(s).toBeGreaterThanOrEqual((spans[i - 1] as readonly [number, number])[1]);
            // The start is a real local wall time on the 30-minute grid.
            const local = Temporal.Instant.fromEpochMilliseconds(s).toZonedDateTimeISO(zone);
            expect(local.minute % 30).toBe(0);
          }
          for (const r of out.data) RecommendationSchema.parse(r);
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
  });
});
