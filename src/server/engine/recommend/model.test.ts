import { describe, expect, it } from 'vitest';
import type { Platform } from '../../../shared/api';
import type { HistoryObservation } from '../types';
import { fitModel } from './model';
import { priorSurface } from './surface';

const NOW = Date.parse('2026-06-03T12:00:00Z');
const WEEK = 7 * 86_400_000;
/** Tuesday 2026-06-02 17:00 UTC and the same hour in earlier weeks. */
const TUE_17 = Date.parse('2026-06-02T17:00:00Z');
const TUE_17_CELL = 1 * 24 + 17;

function post(at: number, rate: number, platform: Platform = 'tiktok', id = String(at)): HistoryObservation {
  return { content_id: id, platform, published_at: new Date(at).toISOString(), impressions: 10_000, engagements: Math.round(rate * 10_000) };
}

/** Background: posts spread over other hours at the median rate 5%, with ±10% noise. */
function background(weeks: number): HistoryObservation[] {
  const out: HistoryObservation[] = [];
  for (let w = 0; w < weeks; w++) {
    for (let k = 0; k < 6; k++) {
      const at = Date.parse('2026-06-01T08:00:00Z') - w * WEEK + k * 19 * 3600_000;
      out.push(post(at, 0.05 * (1 + ((k % 3) - 1) * 0.3)));
    }
  }
  return out;
}

function planted(n: number, lift: number, weeksBack = 0): HistoryObservation[] {
  return Array.from({ length: n }, (_, w) => post(TUE_17 - (w + weeksBack) * WEEK, 0.05 * lift));
}

describe('engagement model (empirical Bayes)', () => {
  it('without history is the prior', () => {
    const model = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [], now: NOW });
    const prior = priorSurface('tiktok', 0);
    const argmax = (g: Float64Array): number => g.indexOf(Math.max(...g));
    expect(argmax(model.grid)).toBe(argmax(prior));
    expect(model.totalPosts).toBe(0);
    for (const h of model.historyWeight) expect(h).toBe(0);
  });

  it('shrinks a cell toward the prior in proportion to its sample size', () => {
    const weights: number[] = [];
    const scores: number[] = [];
    for (const n of [1, 4, 16]) {
      const model = fitModel({ platform: 'linkedin', timezone: 'UTC', history: [...background(20), ...planted(n, 2)].map((h) => ({ ...h, platform: 'linkedin' as const })), now: NOW });
      weights.push(model.historyWeight[TUE_17_CELL] ?? 0);
      scores.push(model.posterior[TUE_17_CELL] ?? 0);
      expect(model.posts[TUE_17_CELL]).toBe(n);
    }
    expect(weights[0]).toBeLessThan(weights[1] ?? 0);
    expect(weights[1]).toBeLessThan(weights[2] ?? 0);
    // The data say log(2) ≈ 0.69 above the median; one post is pulled further toward the prior.
    expect(scores[0]).toBeLessThan(scores[1] ?? 0);
    expect(scores[1]).toBeLessThan(scores[2] ?? 0);
    expect(scores[2]).toBeLessThanOrEqual(Math.log(2) + 1e-9);
    expect(scores[2]).toBeGreaterThan(0.4);
  });

  it('reads lift relative to the account median and weights recent posts more', () => {
    const model = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(12), ...planted(11, 1.38)], now: NOW });
    expect(Math.exp(model.meanLogLift[TUE_17_CELL] ?? 0) - 1).toBeCloseTo(0.38, 6);
    const recent = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(12), ...planted(6, 2, 0)], now: NOW });
    const old = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(12), ...planted(6, 2, 40)], now: NOW });
    expect(recent.historyWeight[TUE_17_CELL]).toBeGreaterThan(old.historyWeight[TUE_17_CELL] ?? 1);
  });

  it('reads weekday and hour in the audience zone', () => {
    // 17:00 UTC on a June Tuesday is 13:00 in New York (EDT).
    const model = fitModel({ platform: 'tiktok', timezone: 'America/New_York', history: [...background(8), ...planted(5, 2)], now: NOW });
    expect(model.posts[1 * 24 + 13]).toBe(5);
  });

  it('confidence grows with data and stays in 0..1', () => {
    const few = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(2), ...planted(2, 2)], now: NOW });
    const many = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(30), ...planted(30, 2)], now: NOW });
    expect(many.confidence[TUE_17_CELL]).toBeGreaterThan(few.confidence[TUE_17_CELL] ?? 1);
    for (const c of many.confidence) {
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
    }
  });
});
