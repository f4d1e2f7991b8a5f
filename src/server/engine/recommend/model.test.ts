import { describe, expect, it } from 'vitest';
import type { Platform } from '../../../shared/api';
import type { HistoryObservation } from '../types';
import { MODEL_PRIORS, type CellStats, cholesky, fitModel, fitPlatformModel, noiseVariance } from './model';
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

  it('with no history its posterior is exactly the prior mean β₀·(prior − mean prior), history weight 0', () => {
    const model = fitModel({ platform: 'instagram', timezone: 'UTC', history: [], now: NOW });
    const prior = priorSurface('instagram', 0);
    const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
    for (let c = 0; c < 168; c++) {
      expect(model.posterior[c]).toBeCloseTo(MODEL_PRIORS.priorSlopeMean * ((prior[c] ?? 0) - mean), 12);
      expect(model.confidence[c]).toBeCloseTo(0.2, 12);
    }
    expect(model.priorSlope).toBe(MODEL_PRIORS.priorSlopeMean);
    expect(model.noiseVariance).toBe(MODEL_PRIORS.noiseVariance);
    expect(model.localParts).toBe(0);
    expect(model.priorShiftHours).toBe(0);
  });

  it('weights a post by its impressions: the same lift seen on 60-impression posts moves its cell less than on 6,000', () => {
    const seenOn = (impressions: number): HistoryObservation[] =>
      planted(4, 2).map((h) => ({ ...h, impressions, engagements: Math.round(0.1 * impressions) }));
    const thin = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(12), ...seenOn(60)], now: NOW });
    const thick = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(12), ...seenOn(6000)], now: NOW });
    // Same rates, so the same raw lift; 6 engagements out of 60 are a much noisier reading.
    expect(thin.meanLogLift[TUE_17_CELL]).toBeCloseTo(thick.meanLogLift[TUE_17_CELL] ?? 0, 12);
    expect(thin.posterior[TUE_17_CELL]).toBeLessThan((thick.posterior[TUE_17_CELL] ?? 0) - 0.02);
    expect(thin.historyWeight[TUE_17_CELL]).toBeLessThan(thick.historyWeight[TUE_17_CELL] ?? 0);
  });

  it('keeps only the local parts the data support: none for a flat account, many for a rugged one', () => {
    const flat: HistoryObservation[] = [];
    const rugged: HistoryObservation[] = [];
    const MON = Date.parse('2026-05-25T00:00:00Z');
    for (let w = 0; w < 8; w++) {
      for (let d = 0; d < 7; d++) {
        for (let hour = 8; hour < 22; hour += 2) {
          const at = MON - w * WEEK + d * 86_400_000 + hour * 3600_000;
          if (at > NOW) continue;
          flat.push(post(at, 0.05 * (1 + ((w + d + hour) % 3 - 1) * 0.1), 'tiktok', `f${w}_${d}_${hour}`));
          // Hour by hour the account swings ±0.9 in log-lift, far beyond the nominal local sd.
          rugged.push(post(at, 0.05 * Math.exp(0.9 * Math.sin((d * 24 + hour) * 1.7)), 'tiktok', `r${w}_${d}_${hour}`));
        }
      }
    }
    const quiet = fitModel({ platform: 'tiktok', timezone: 'UTC', history: flat, now: NOW });
    const loud = fitModel({ platform: 'tiktok', timezone: 'UTC', history: rugged, now: NOW });
    expect(quiet.localParts).toBeLessThan(1);
    expect(loud.localParts).toBeGreaterThan(10);
  });

  it('sparse local parts: one lucky post barely moves its hour, the same lift seen every week does', () => {
    // An account that follows the studies, 12 weeks of posts at every third hour, ±30 % post to post.
    const prior = priorSurface('tiktok', 0);
    const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
    const MON = Date.parse('2026-05-25T00:00:00Z');
    const base: HistoryObservation[] = [];
    for (let w = 0; w < 12; w++) {
      for (let c = 1; c < 168; c += 3) {
        const at = MON - w * WEEK + c * 3600_000;
        if (at <= NOW) base.push(post(at, 0.05 * Math.exp((prior[c] ?? 0) - mean) * (1 + ((w + c) % 3 - 1) * 0.3), 'tiktok', `b${w}_${c}`));
      }
    }
    // Thursday 03:00, a low hour in the studies, at 1.5× what they predict: once, or 8 weeks running.
    const cell = 3 * 24 + 3;
    const lucky = (weeks: number): HistoryObservation[] =>
      Array.from({ length: weeks }, (_, w) => post(MON - w * WEEK + cell * 3600_000, 0.075 * Math.exp((prior[cell] ?? 0) - mean), 'tiktok', `l${w}`));
    const without = fitModel({ platform: 'tiktok', timezone: 'UTC', history: base, now: NOW });
    const once = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...base, ...lucky(1)], now: NOW });
    const often = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...base, ...lucky(8)], now: NOW });
    const moved = (m: typeof once): number => (m.posterior[cell] ?? 0) - (without.posterior[cell] ?? 0);
    // Gaussian local parts moved the cell by 0.05 on the one post (a quarter of what 8 posts did);
    // a sparse part that one post cannot justify stays out, 8 posts bring it in.
    expect(moved(once)).toBeLessThan(0.02);
    expect(moved(often)).toBeGreaterThan(0.12);
  });

  it('pools neighbouring hours: a peak planted at 13:00 and 15:00 lifts the empty 14:00 between them', () => {
    // Wednesday 2026-05-27 in UTC; 6 weeks of noisy posts at 13:00 and 15:00 (×2 ± 20%), none at 14:00.
    const WED_13 = Date.parse('2026-05-27T13:00:00Z');
    const peak: HistoryObservation[] = [];
    for (let w = 0; w < 6; w++) {
      peak.push(post(WED_13 - w * WEEK, 0.1 * (w % 2 === 0 ? 1.2 : 0.8), 'tiktok', `a${w}`));
      peak.push(post(WED_13 + 2 * 3600_000 - w * WEEK, 0.1 * (w % 2 === 0 ? 0.8 : 1.2), 'tiktok', `b${w}`));
    }
    const model = fitModel({ platform: 'tiktok', timezone: 'UTC', history: [...background(12), ...peak], now: NOW });
    const WED = 2 * 24;
    expect(model.posts[WED + 14]).toBe(0);
    // The empty hour is estimated well above the median, and above hours farther away.
    expect(model.posterior[WED + 14]).toBeGreaterThan(0.35);
    expect(model.posterior[WED + 14]).toBeGreaterThan(model.posterior[WED + 18] ?? 0);
    expect(model.posterior[WED + 14]).toBeGreaterThan(model.posterior[WED + 9] ?? 0);
    expect(model.historyWeight[WED + 14]).toBeGreaterThan(0.5);
    const argmax = model.posterior.indexOf(Math.max(...model.posterior));
    expect(argmax).toBeGreaterThanOrEqual(WED + 13);
    expect(argmax).toBeLessThanOrEqual(WED + 15);
  });

  it('pools the hour profile across weekdays: 19:00 good on six days lifts 19:00 on the seventh', () => {
    const history: HistoryObservation[] = [];
    // Monday 2026-05-25 … Saturday: 19:00 at 2× the median; 10:00 and 13:00 every day at the median.
    const MON = Date.parse('2026-05-25T00:00:00Z');
    for (let w = 0; w < 8; w++) {
      for (let d = 0; d < 7; d++) {
        const day = MON - w * WEEK + d * 86_400_000;
        if (d < 6) history.push(post(day + 19 * 3600_000, 0.1, 'tiktok', `e${w}_${d}`));
        history.push(post(day + 10 * 3600_000, 0.05 * (1 + ((w + d) % 3 - 1) * 0.2), 'tiktok', `m${w}_${d}`));
        history.push(post(day + 13 * 3600_000, 0.05 * (1 + ((w + d + 1) % 3 - 1) * 0.2), 'tiktok', `n${w}_${d}`));
      }
    }
    const model = fitModel({ platform: 'tiktok', timezone: 'UTC', history: history.filter((h) => Date.parse(h.published_at) <= NOW), now: NOW });
    const SUN = 6 * 24;
    expect(model.posts[SUN + 19]).toBe(0);
    expect(model.posterior[SUN + 19]).toBeGreaterThan((model.posterior[SUN + 10] ?? 0) + 0.1);
    expect(model.posterior[SUN + 19]).toBeLessThan(model.posterior[5 * 24 + 19] ?? 0);
  });

  it('learns how much the account follows the industry prior (β)', () => {
    const prior = priorSurface('tiktok', 0);
    const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
    const followers: HistoryObservation[] = [];
    const flat: HistoryObservation[] = [];
    for (let w = 0; w < 10; w++) {
      for (let k = 0; k < 12; k++) {
        const at = Date.parse('2026-05-25T07:00:00Z') - w * WEEK + k * 13 * 3600_000;
        const cell = Math.floor(((at / 3600_000) % 168 + 168 + 72) % 168); // 1970-01-01 was a Thursday
        followers.push(post(at, 0.05 * Math.exp((prior[cell] ?? 0) - mean), 'tiktok', `f${w}_${k}`));
        flat.push(post(at, 0.05 * (1 + ((w + k) % 3 - 1) * 0.1), 'tiktok', `g${w}_${k}`));
      }
    }
    const follows = fitModel({ platform: 'tiktok', timezone: 'UTC', history: followers, now: NOW });
    const ignores = fitModel({ platform: 'tiktok', timezone: 'UTC', history: flat, now: NOW });
    expect(follows.priorSlope).toBeGreaterThan(0.6);
    expect(ignores.priorSlope).toBeLessThan(0.15);
  });

  it('a month of posts mildly against the studies lowers β but does not turn their peaks into troughs', () => {
    // YouTube, 4 weeks × 7 posts in waking hours; the posts in the studies' good hours came out
    // 15 % below the median — weak evidence (10 % noise, 28 posts). With β ~ N(0.5, 1²) this
    // gave β = −0.16 and moved the best hour off the studies' Friday evening.
    const prior = priorSurface('youtube', 0);
    const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
    const MON = Date.parse('2026-05-25T00:00:00Z');
    const hours = [9, 13, 17, 20, 11, 19, 15];
    const history: HistoryObservation[] = [];
    for (let w = 0; w < 4; w++) {
      for (let d = 0; d < 7; d++) {
        const cell = d * 24 + (hours[(d + w) % 7] ?? 12);
        const at = MON - w * WEEK + cell * 3600_000;
        if (at > NOW) continue;
        const good = (prior[cell] ?? 0) - mean > 0.2;
        history.push({ ...post(at, 0.04 * (good ? 0.85 : 1) * (1 + (((w + d) % 3) - 1) * 0.1), 'youtube', `p${w}_${d}`), impressions: 1000, engagements: Math.round(40 * (good ? 0.85 : 1) * (1 + (((w + d) % 3) - 1) * 0.1)) });
      }
    }
    const model = fitModel({ platform: 'youtube', timezone: 'UTC', history, now: NOW });
    expect(model.priorSlope).toBeGreaterThan(0);
    expect(model.priorSlope).toBeLessThan(MODEL_PRIORS.priorSlopeMean);
    const argmax = (g: Float64Array): number => g.indexOf(Math.max(...g));
    expect(argmax(model.posterior)).toBe(argmax(prior));
  });

  it('learns an audience that runs later than the studies (δ) and moves the peak with it', () => {
    const prior = priorSurface('tiktok', 0);
    const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
    const onTime: HistoryObservation[] = [];
    const late: HistoryObservation[] = [];
    for (let w = 0; w < 10; w++) {
      for (let k = 0; k < 12; k++) {
        // Moved 5 h each week, so the posts cover most of the week's hours.
        const at = Date.parse('2026-05-25T07:00:00Z') - w * WEEK + (k * 13 + w * 5) * 3600_000;
        const cell = Math.floor(((at / 3600_000) % 168 + 168 + 72) % 168); // 1970-01-01 was a Thursday
        onTime.push(post(at, 0.05 * Math.exp((prior[cell] ?? 0) - mean), 'tiktok', `o${w}_${k}`));
        // This audience does at hour h what the studies' panel does at h − 2.
        late.push(post(at, 0.05 * Math.exp((prior[(cell + 166) % 168] ?? 0) - mean), 'tiktok', `l${w}_${k}`));
      }
    }
    const a = fitModel({ platform: 'tiktok', timezone: 'UTC', history: onTime, now: NOW });
    const b = fitModel({ platform: 'tiktok', timezone: 'UTC', history: late, now: NOW });
    expect(Math.abs(a.priorShiftHours)).toBeLessThan(0.3);
    expect(b.priorShiftHours).toBeGreaterThan(1.5);
    const argmax = (g: Float64Array): number => g.indexOf(Math.max(...g));
    const peak = argmax(prior);
    expect(argmax(a.posterior)).toBe(peak);
    expect(argmax(b.posterior)).toBeGreaterThan(peak);
    expect(argmax(b.posterior)).toBeLessThanOrEqual(peak + 2);
  });
});

describe('engagement model: the account\'s other platforms', () => {
  // Thursday 2026-05-28 18:00 UTC and earlier weeks.
  const THU_18 = Date.parse('2026-05-28T18:00:00Z');
  const THU_18_CELL = 3 * 24 + 18;

  function instagram(weeks: number): HistoryObservation[] {
    const out: HistoryObservation[] = [];
    for (let w = 0; w < weeks; w++) {
      out.push(post(THU_18 - w * WEEK, 0.1, 'instagram', `i${w}`));
      for (let k = 0; k < 4; k++) out.push(post(THU_18 - w * WEEK - (k + 1) * 29 * 3600_000, 0.05 * (1 + ((w + k) % 3 - 1) * 0.2), 'instagram', `j${w}_${k}`));
    }
    return out;
  }

  it('a platform without posts at an hour borrows the rhythm the account shows on its other platforms', () => {
    const tiktok = background(6);
    const alone = fitPlatformModel('tiktok', 'UTC', tiktok, NOW);
    const withInstagram = fitPlatformModel('tiktok', 'UTC', [...tiktok, ...instagram(12)], NOW);
    expect(withInstagram.posts[THU_18_CELL]).toBe(0);
    expect(alone.audienceSlope).toBe(0);
    expect(withInstagram.audienceSlope).toBeGreaterThan(0);
    expect(withInstagram.posterior[THU_18_CELL]).toBeGreaterThan((alone.posterior[THU_18_CELL] ?? 0) + 0.1);
    // Its own counts and lifts are still its own.
    expect(withInstagram.totalPosts).toBe(alone.totalPosts);
  });

  it('an account with one platform gets exactly the single-platform model', () => {
    const history = [...background(10), ...planted(6, 2)];
    const a = fitPlatformModel('tiktok', 'UTC', history, NOW);
    const b = fitModel({ platform: 'tiktok', timezone: 'UTC', history, now: NOW });
    expect(Array.from(a.posterior)).toEqual(Array.from(b.posterior));
  });
});

describe('model pieces', () => {
  function stats(cells: number[][]): CellStats {
    const out: CellStats = { weight: new Float64Array(168), sum: new Float64Array(168), sumSquares: new Float64Array(168), posts: new Int32Array(168) };
    cells.forEach((ys, c) => {
      for (const y of ys) {
        out.weight[c] = (out.weight[c] ?? 0) + 1;
        out.sum[c] = (out.sum[c] ?? 0) + y;
        out.sumSquares[c] = (out.sumSquares[c] ?? 0) + y * y;
        out.posts[c] = (out.posts[c] ?? 0) + 1;
      }
    });
    return out;
  }

  it('noise variance: the prior guess without repeated cells, the pooled within-cell variance with many', () => {
    expect(noiseVariance(stats([[0.3], [-0.2], [0.1]]))).toBeCloseTo(MODEL_PRIORS.noiseVariance, 12);
    // 60 cells × 5 posts at ±0.5 around different means: within-cell variance 0.3125 (n − 1 df).
    const cells = Array.from({ length: 60 }, (_, c) => [-0.5, 0.5, -0.5, 0.5, 0].map((d) => d + c / 60));
    const v = noiseVariance(stats(cells));
    const expected = (MODEL_PRIORS.noiseDf * MODEL_PRIORS.noiseVariance + 60 * 1) / (MODEL_PRIORS.noiseDf + 60 * 4);
    expect(v).toBeCloseTo(expected, 12);
  });

  it('cholesky factors a symmetric positive-definite matrix', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const l = cholesky(Float64Array.from(a), 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k <= Math.min(i, j); k++) v += (l[i * 3 + k] ?? 0) * (l[j * 3 + k] ?? 0);
        expect(v).toBeCloseTo(a[i * 3 + j] ?? 0, 12);
      }
    }
  });
});
