/**
 * The engagement model for one platform: the account's own history, read as log-lift over the
 * account's median engagement rate per local weekday × hour, recency-weighted (16-week
 * half-life), smoothed to neighbouring hours, and shrunk toward the industry prior by empirical
 * Bayes (the shrinkage strength comes from the data's own within-cell vs. between-cell variance).
 */
import type { Platform } from '../../../shared/api';
import { Temporal } from '../../../shared/time';
import type { HistoryObservation } from '../types';
import { ZoneClock } from '../zone-clock';
import { HOURS_PER_WEEK, priorSurface } from './surface';

export const MODEL_VERSION = 'cadence-eb-weekhour-1';

export const HALF_LIFE_WEEKS = 16;
/** Older posts carry under 1% weight; dropping them keeps fitting fast. */
export const MAX_AGE_WEEKS = 120;
const WEEK_MS = 7 * 24 * 3600_000;
/** Neighbouring-hour smoothing kernel (±2 h). */
const HOUR_KERNEL = [0.3, 0.7, 1, 0.7, 0.3] as const;
const LOG_LIFT_CLAMP = 2;

export interface EngagementModel {
  platform: Platform;
  /** 0..1 score per weekday×hour cell (cell = weekday*24 + hour, Monday = 0). */
  grid: Float64Array;
  /** 0..1 confidence per cell. */
  confidence: Float64Array;
  /** Share of each cell's posterior that comes from history (n / (n + κ)). */
  historyWeight: Float64Array;
  /** Posterior mean log-lift over the account median per cell (before scaling to 0..1). */
  posterior: Float64Array;
  /** Industry prior (0..1) per cell. */
  prior: Float64Array;
  /** Raw, unsmoothed post counts and mean log-lift per cell, for the reasons. */
  posts: Int32Array;
  meanLogLift: Float64Array;
  totalPosts: number;
  /** Empirical-Bayes prior strength κ = σ² / τ², in pseudo-posts. */
  kappa: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Offset of `zone` at `epochMs`, in minutes. */
export function offsetMinutesAt(zone: string, epochMs: number): number {
  return Math.round(Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(zone).offsetNanoseconds / 60e9);
}

/** Local weekday×hour cell of an instant in the audience zone (see ZoneClock). */
export class CellClock {
  private readonly clock: ZoneClock;
  constructor(zone: string) {
    this.clock = new ZoneClock(zone);
  }

  cellOf(epochMs: number): number {
    return this.clock.cell(epochMs);
  }
}

export interface FitOptions {
  platform: Platform;
  timezone: string;
  history: HistoryObservation[];
  now: number;
  clock?: CellClock;
}

export function fitModel(options: FitOptions): EngagementModel {
  const { platform, timezone, now } = options;
  const clock = options.clock ?? new CellClock(timezone);
  const prior = priorSurface(platform, offsetMinutesAt(timezone, now));

  const rows: Array<{ rate: number; at: number }> = [];
  for (const obs of options.history) {
    if (obs.platform !== platform || !(obs.impressions > 0)) continue;
    const at = Date.parse(obs.published_at);
    if (!Number.isFinite(at) || at > now || now - at > MAX_AGE_WEEKS * WEEK_MS) continue;
    rows.push({ rate: Math.max(0, obs.engagements) / obs.impressions, at });
  }
  const med = median(rows.map((r) => r.rate));
  // A floor keeps log-lift finite for posts with zero engagement.
  const floor = Math.max(med * 0.02, 1e-9);

  const n = new Float64Array(HOURS_PER_WEEK);
  const s = new Float64Array(HOURS_PER_WEEK);
  const rawN = new Float64Array(HOURS_PER_WEEK);
  const rawS = new Float64Array(HOURS_PER_WEEK);
  const rawSS = new Float64Array(HOURS_PER_WEEK);
  const posts = new Int32Array(HOURS_PER_WEEK);
  const rawSum = new Float64Array(HOURS_PER_WEEK);
  for (const row of rows) {
    const y = Math.max(-LOG_LIFT_CLAMP, Math.min(LOG_LIFT_CLAMP, Math.log(Math.max(row.rate, floor) / Math.max(med, floor))));
    const w = 0.5 ** ((now - row.at) / WEEK_MS / HALF_LIFE_WEEKS);
    const cell = clock.cellOf(row.at);
    posts[cell] = (posts[cell] ?? 0) + 1;
    rawSum[cell] = (rawSum[cell] ?? 0) + y;
    rawN[cell] = (rawN[cell] ?? 0) + w;
    rawS[cell] = (rawS[cell] ?? 0) + w * y;
    rawSS[cell] = (rawSS[cell] ?? 0) + w * y * y;
    for (let d = -2; d <= 2; d++) {
      const k = HOUR_KERNEL[d + 2] ?? 0;
      const c = (cell + d + HOURS_PER_WEEK) % HOURS_PER_WEEK;
      n[c] = (n[c] ?? 0) + w * k;
      s[c] = (s[c] ?? 0) + w * k * y;
    }
  }

  let priorMean = 0;
  for (const p of prior) priorMean += p;
  priorMean /= HOURS_PER_WEEK;

  // σ²: pooled within-cell variance of single posts (unsmoothed cells).
  let within = 0;
  let withinW = 0;
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    const w = rawN[c] ?? 0;
    if (w <= 0) continue;
    const mean = (rawS[c] ?? 0) / w;
    within += (rawSS[c] ?? 0) - w * mean * mean;
    withinW += w;
  }
  const sigma2 = withinW > 1 ? Math.max(0.01, within / withinW) : 0.25;

  // β: how strongly this account follows the industry prior, estimated by weighted regression
  // of the cell means on the prior and itself shrunk toward 0.5 while data are scarce.
  let sxy = 0;
  let sxx = 0;
  let nTotal = 0;
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    const w = n[c] ?? 0;
    if (w <= 0) continue;
    const x = (prior[c] ?? 0) - priorMean;
    sxy += w * x * ((s[c] ?? 0) / w);
    sxx += w * x * x;
    nTotal += w;
  }
  const betaHat = sxx > 0 ? sxy / sxx : 0.5;
  const beta = Math.min(1.5, Math.max(0.15, (nTotal * betaHat + 10 * 0.5) / (nTotal + 10)));
  const m0 = new Float64Array(HOURS_PER_WEEK);
  for (let c = 0; c < HOURS_PER_WEEK; c++) m0[c] = beta * ((prior[c] ?? 0) - priorMean);

  // τ²: spread of the true cell effects around the prior, by the method of moments.
  let between = 0;
  let betweenW = 0;
  let noise = 0;
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    const w = n[c] ?? 0;
    if (w < 0.5) continue;
    const dev = (s[c] ?? 0) / w - (m0[c] ?? 0);
    between += w * dev * dev;
    noise += sigma2;
    betweenW += w;
  }
  const tau2 = betweenW > 0 ? Math.max(0.005, (between - noise) / betweenW) : 0.05;
  const kappa = Math.min(50, Math.max(0.5, sigma2 / tau2));

  const post = new Float64Array(HOURS_PER_WEEK);
  const historyWeight = new Float64Array(HOURS_PER_WEEK);
  const sd = new Float64Array(HOURS_PER_WEEK);
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    const w = n[c] ?? 0;
    const value = ((s[c] ?? 0) + kappa * (m0[c] ?? 0)) / (w + kappa);
    post[c] = value;
    historyWeight[c] = w / (w + kappa);
    sd[c] = Math.sqrt(1 / (w / sigma2 + 1 / tau2));
    lo = Math.min(lo, value);
    hi = Math.max(hi, value);
  }
  let spread = 0;
  const mid = (lo + hi) / 2;
  for (const v of post) spread += (v - mid) ** 2;
  spread = Math.max(0.05, Math.sqrt(spread / HOURS_PER_WEEK));

  const grid = new Float64Array(HOURS_PER_WEEK);
  const confidence = new Float64Array(HOURS_PER_WEEK);
  const meanLogLift = new Float64Array(HOURS_PER_WEEK);
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    grid[c] = hi > lo ? ((post[c] ?? 0) - lo) / (hi - lo) : (prior[c] ?? 0);
    // Prior-only cells get a modest fixed confidence; history adds to it in proportion to its
    // weight, discounted when the posterior is still wide relative to the spread of the week.
    const h = historyWeight[c] ?? 0;
    confidence[c] = Math.min(1, 0.2 + 0.75 * h * Math.exp(-(sd[c] ?? 0) / spread));
    const count = posts[c] ?? 0;
    meanLogLift[c] = count > 0 ? (rawSum[c] ?? 0) / count : 0;
  }
  return {
    platform,
    grid,
    confidence,
    historyWeight,
    posterior: post,
    prior,
    posts,
    meanLogLift,
    totalPosts: rows.length,
    kappa,
  };
}
