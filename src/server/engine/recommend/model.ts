/**
 * The engagement model for one platform: a hierarchical empirical-Bayes model of the account's
 * log-lift over its median engagement rate per local weekday × hour in the audience zone.
 * Each cell's effect is the sum of parts that are pooled at different levels:
 *   the account's level + β × (industry prior) + δ × (the prior's hourly gradient: the prior
 *   shifted earlier or later) + an hour-of-day profile shared by all weekdays + a weekday level
 *   + a slot-specific deviation that is smooth across neighbouring hours (whose scale is learned
 *   from the account, see LOCAL_SCALES).
 * Each part has a Gaussian prior (together, a covariance over the 168 cells); history posts are
 * noisy, recency-weighted observations of their cell, the noise variance estimated from the
 * account's own repeated cells. The posterior mean and variance come from one linear solve over
 * the observed cells (Gaussian-process regression / kriging): a cell with no posts borrows from
 * neighbouring hours, the same hour on other days and the prior, in proportion to how much
 * data sits there.
 */
import type { Platform } from '../../../shared/api';
import { Temporal } from '../../../shared/time';
import type { HistoryObservation } from '../types';
import { ZoneClock } from '../zone-clock';
import { HOURS_PER_WEEK as WEEK_CELLS, priorSurface } from './surface';

/** A module-local copy: hot loops read it without going through the import binding. */
const HOURS_PER_WEEK: number = WEEK_CELLS;

export const MODEL_VERSION = 'cadence-eb-weekhour-3';

export const HALF_LIFE_WEEKS = 16;
/** Older posts carry under 1% weight; dropping them keeps fitting fast. */
export const MAX_AGE_WEEKS = 120;
const WEEK_MS = 7 * 24 * 3600_000;
const LOG_LIFT_CLAMP = 2;

/**
 * Prior scales of the parts, in log-lift units (README, "Recommendations", says why each value
 * is reasonable for real accounts). The noise variance is estimated from the data.
 */
export const MODEL_PRIORS = {
  /** The account's mean log-lift over its median: nearly 0, but a skewed account differs. */
  levelSd: 0.3,
  /** β: how strongly this account follows the industry prior surface (0..1). */
  priorSlopeMean: 0.5,
  priorSlopeSd: 1,
  /**
   * δ: the account's audience running earlier or later than the studies' panels (younger
   * audiences late, office audiences early), as δ × the prior's hourly gradient — a first-order
   * shift of the surface, δ ≈ −β × hours later. sd 1: an hour either way is common, a few more
   * rare.
   */
  priorShiftSd: 1,
  /** Hour-of-day profile shared by all weekdays, smooth over ~2 h (circular over 24 h). */
  hourSd: 0.15,
  hourLengthHours: 2,
  /** A whole weekday above or below the others. */
  weekdaySd: 0.1,
  /**
   * γ: how strongly this platform follows the account's rhythm on its other platforms (the same
   * people often follow an account in several places). Learned like β.
   */
  audienceSlopeMean: 0.5,
  audienceSlopeSd: 0.5,
  /** One weekday's hours deviating from the shared profile, smooth over ~2 h. */
  slotSd: 0.3,
  slotLengthHours: 2,
  /** Per-post noise prior: sd 0.4 in log-lift (≈ ±50% post to post), worth 8 posts. */
  noiseVariance: 0.16,
  noiseDf: 8,
} as const;

/**
 * How far an account departs from the shared structure is its own: the local parts' covariance
 * is taken at ½, 1 and 2 × the scales above (equally likely a priori) and the fits are averaged
 * by their marginal likelihood. A factor of 2 either way hedges the nominal magnitudes without
 * leaving them: a wider range (⅛..2) let sparse peaks be shrunk too hard (README).
 */
export const LOCAL_SCALES: readonly number[] = [0.5, 1, 2];

export interface EngagementModel {
  platform: Platform;
  /** 0..1 score per weekday×hour cell (cell = weekday*24 + hour, Monday = 0). */
  grid: Float64Array;
  /** 0..1 confidence per cell. */
  confidence: Float64Array;
  /**
   * Share of each cell's prior uncertainty (hour, weekday and slot parts) that history removed:
   * 0 with no posts at or near the cell, toward 1 with many.
   */
  historyWeight: Float64Array;
  /** Posterior mean log-lift over the account median per cell (before scaling to 0..1). */
  posterior: Float64Array;
  /** Posterior sd of the cell's hour/weekday/slot effect. */
  posteriorSd: Float64Array;
  /** Industry prior (0..1) per cell. */
  prior: Float64Array;
  /** Raw, unsmoothed post counts and mean log-lift per cell, for the reasons. */
  posts: Int32Array;
  meanLogLift: Float64Array;
  totalPosts: number;
  /** Estimated per-post noise variance of log-lift. */
  noiseVariance: number;
  /** Posterior mean of β, the weight of the industry prior for this account. */
  priorSlope: number;
  /** Posterior mean of δ, the prior shifted in time (≈ −β × hours the audience runs later). */
  priorShift: number;
  /** Posterior mean of γ, the weight of the account's other platforms (0 when they have no posts). */
  audienceSlope: number;
  /** The account's rhythm on its other platforms per cell (log-lift; zeros without them). */
  audience: Float64Array;
  /** The account's mean log-lift (the level part). */
  level: number;
  /** Posterior mean of the local parts' scale (× MODEL_PRIORS; see LOCAL_SCALES). */
  localScale: number;
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
  /**
   * The account's rhythm on its other platforms: log-lift per cell (see `audienceRhythm`).
   * Absent or all-zero, it plays no part.
   */
  audience?: Float64Array | undefined;
}


/** Per-cell sufficient statistics of the recency-weighted log-lifts. */
export interface CellStats {
  /** Σw, Σw·y, Σw·y² and the number of posts per cell. */
  weight: Float64Array;
  sum: Float64Array;
  sumSquares: Float64Array;
  posts: Int32Array;
}

/**
 * Pooled per-post noise variance: the weighted within-cell variance of cells holding ≥ 2 posts
 * (each such cell gives n − 1 degrees of freedom), combined with the prior guess as if it were
 * `noiseDf` more degrees of freedom (a conjugate inverse-gamma prior).
 */
export function noiseVariance(stats: CellStats, priorVariance = MODEL_PRIORS.noiseVariance, priorDf = MODEL_PRIORS.noiseDf): number {
  let ss = 0;
  let df = 0;
  for (let c = 0; c < stats.posts.length; c++) {
    const n = stats.posts[c] ?? 0;
    const w = stats.weight[c] ?? 0;
    if (n < 2 || w <= 0) continue;
    const mean = (stats.sum[c] ?? 0) / w;
    // Weighted sums of squares are in units of the average weight; rescale to posts.
    ss += (((stats.sumSquares[c] ?? 0) - w * mean * mean) * n) / w;
    df += n - 1;
  }
  return (priorDf * priorVariance + ss) / (priorDf + df);
}

/** Circular distance between a and b on a ring of n. */
function ringDistance(a: number, b: number, n: number): number {
  const d = Math.abs(a - b) % n;
  return Math.min(d, n - d);
}

/** Squared-exponential kernel values by integer lag 0..maxLag. */
function kernelTable(sd: number, lengthHours: number, maxLag: number): Float64Array {
  const out = new Float64Array(maxLag + 1);
  for (let d = 0; d <= maxLag; d++) out[d] = sd * sd * Math.exp(-(d * d) / (2 * lengthHours * lengthHours));
  return out;
}

/** In-place lower Cholesky factor of the symmetric positive-definite m×m matrix `a` (row-major). */
export function cholesky(a: Float64Array, m: number): Float64Array {
  for (let j = 0; j < m; j++) {
    const rj = j * m;
    let d = a[rj + j] ?? 0;
    for (let k = 0; k < j; k++) d -= (a[rj + k] ?? 0) ** 2;
    const root = Math.sqrt(Math.max(d, 1e-12));
    a[rj + j] = root;
    for (let i = j + 1; i < m; i++) {
      const ri = i * m;
      let t = a[ri + j] ?? 0;
      for (let k = 0; k < j; k++) t -= (a[ri + k] ?? 0) * (a[rj + k] ?? 0);
      a[ri + j] = t / root;
    }
  }
  return a;
}

/** Solves L·x = b in place (L lower-triangular, row-major m×m). */
function forward(l: Float64Array, m: number, b: Float64Array): Float64Array {
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    let t = b[i] ?? 0;
    for (let k = 0; k < i; k++) t -= (l[ri + k] ?? 0) * (b[k] ?? 0);
    b[i] = t / (l[ri + i] ?? 1);
  }
  return b;
}

/** Solves Lᵀ·x = b in place. */
function backward(l: Float64Array, m: number, b: Float64Array): Float64Array {
  for (let i = m - 1; i >= 0; i--) {
    let t = b[i] ?? 0;
    for (let k = i + 1; k < m; k++) t -= (l[k * m + i] ?? 0) * (b[k] ?? 0);
    b[i] = t / (l[i * m + i] ?? 1);
  }
  return b;
}

let localCache: Float64Array | undefined;

/** The 168×168 covariance of the local parts (hour profile + weekday + slot), built once. */
export function localCovariance(): Float64Array {
  if (localCache) return localCache;
  const P = MODEL_PRIORS;
  const hourK = kernelTable(P.hourSd, P.hourLengthHours, 12);
  const slotK = kernelTable(P.slotSd, P.slotLengthHours, HOURS_PER_WEEK / 2);
  const weekdayVar = P.weekdaySd * P.weekdaySd;
  const out = new Float64Array(HOURS_PER_WEEK * HOURS_PER_WEEK);
  for (let a = 0; a < HOURS_PER_WEEK; a++) {
    for (let b = 0; b < HOURS_PER_WEEK; b++) {
      out[a * HOURS_PER_WEEK + b] =
        (hourK[ringDistance(a % 24, b % 24, 24)] ?? 0) +
        (Math.floor(a / 24) === Math.floor(b / 24) ? weekdayVar : 0) +
        (slotK[ringDistance(a, b, HOURS_PER_WEEK)] ?? 0);
    }
  }
  localCache = out;
  return out;
}

/**
 * Recency-weighted log-lift statistics per cell of the posts of the platforms `accept` takes,
 * each post over its own platform's median rate.
 */
function collectStats(history: HistoryObservation[], accept: (platform: Platform) => boolean, now: number, clock: CellClock): { stats: CellStats; rawSum: Float64Array; total: number } {
  const rows: Array<{ rate: number; impressions: number; at: number; platform: Platform }> = [];
  for (const obs of history) {
    if (!accept(obs.platform) || !(obs.impressions > 0)) continue;
    const at = Date.parse(obs.published_at);
    if (!Number.isFinite(at) || at > now || now - at > MAX_AGE_WEEKS * WEEK_MS) continue;
    rows.push({ rate: Math.max(0, obs.engagements) / obs.impressions, impressions: obs.impressions, at, platform: obs.platform });
  }
  const medians = new Map<Platform, number>();
  for (const p of new Set(rows.map((r) => r.platform))) medians.set(p, median(rows.filter((r) => r.platform === p).map((r) => r.rate)));

  const stats: CellStats = {
    weight: new Float64Array(HOURS_PER_WEEK),
    sum: new Float64Array(HOURS_PER_WEEK),
    sumSquares: new Float64Array(HOURS_PER_WEEK),
    posts: new Int32Array(HOURS_PER_WEEK),
  };
  const rawSum = new Float64Array(HOURS_PER_WEEK);
  for (const row of rows) {
    const med = medians.get(row.platform) ?? 0;
    // A floor keeps log-lift finite for posts with zero engagement.
    const floor = Math.max(med * 0.02, 1e-9);
    const y = Math.max(-LOG_LIFT_CLAMP, Math.min(LOG_LIFT_CLAMP, Math.log(Math.max(row.rate, floor) / Math.max(med, floor))));
    // Recency: an older post counts as a noisier observation (variance σ²/w).
    const recency = 0.5 ** ((now - row.at) / WEEK_MS / HALF_LIFE_WEEKS);
    // Counting noise: a post's engagements are a count, so its log-rate carries sampling
    // variance ≈ 1 / expected count (Poisson, at the platform's median rate so the weight does
    // not depend on the post's own outcome) on top of the content noise. A post with 50
    // impressions is a much weaker observation than one with 5,000.
    const sampling = 1 / Math.max(row.impressions * med, 1e-9);
    const w = recency * (MODEL_PRIORS.noiseVariance / (MODEL_PRIORS.noiseVariance + sampling));
    const cell = clock.cellOf(row.at);
    stats.posts[cell] = (stats.posts[cell] ?? 0) + 1;
    stats.weight[cell] = (stats.weight[cell] ?? 0) + w;
    stats.sum[cell] = (stats.sum[cell] ?? 0) + w * y;
    stats.sumSquares[cell] = (stats.sumSquares[cell] ?? 0) + w * y * y;
    rawSum[cell] = (rawSum[cell] ?? 0) + y;
  }
  return { stats, rawSum, total: rows.length };
}

/**
 * The account's rhythm on `platforms` pooled (each post over its own platform's median):
 * a kernel smoother with the local parts' correlation, shrunk toward 0 by σ²/(local prior
 * variance) pseudo-posts — a cheap stand-in for a full fit (γ rescales it anyway).
 * Undefined without posts.
 */
export function audienceRhythm(platforms: ReadonlySet<Platform>, timezone: string, history: HistoryObservation[], now: number, clock = new CellClock(timezone)): Float64Array | undefined {
  if (platforms.size === 0) return undefined;
  const { stats, total } = collectStats(history, (p) => platforms.has(p), now, clock);
  if (total === 0) return undefined;
  const localK = localCovariance();
  const sigma2 = noiseVariance(stats);
  let weight = 0;
  let sum = 0;
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    weight += stats.weight[c] ?? 0;
    sum += stats.sum[c] ?? 0;
  }
  const level = weight > 0 ? sum / weight : 0;
  const num = new Float64Array(HOURS_PER_WEEK);
  const den = new Float64Array(HOURS_PER_WEEK);
  for (let o = 0; o < HOURS_PER_WEEK; o++) {
    const w = stats.weight[o] ?? 0;
    if (w <= 0) continue;
    const centredSum = (stats.sum[o] ?? 0) - w * level;
    const src = o * HOURS_PER_WEEK;
    const vo = localK[src + o] ?? 1;
    for (let c = 0; c < HOURS_PER_WEEK; c++) {
      const rho = (localK[src + c] ?? 0) / vo;
      num[c] = (num[c] ?? 0) + rho * centredSum;
      den[c] = (den[c] ?? 0) + rho * w;
    }
  }
  const out = new Float64Array(HOURS_PER_WEEK);
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    const kappa = sigma2 / (localK[c * HOURS_PER_WEEK + c] ?? 1);
    out[c] = (num[c] ?? 0) / ((den[c] ?? 0) + kappa);
  }
  return out;
}

/**
 * The model for `platform` with the account's rhythm on its other platforms as a part
 * (leave-one-platform-out: the platform's own posts are not counted twice).
 */
export function fitPlatformModel(platform: Platform, timezone: string, history: HistoryObservation[], now: number, clock = new CellClock(timezone)): EngagementModel {
  const others = new Set<Platform>();
  for (const h of history) if (h.platform !== platform) others.add(h.platform);
  const audience = audienceRhythm(others, timezone, history, now, clock);
  return fitModel({ platform, timezone, history, now, clock, audience });
}

/** One model per distinct platform (see fitPlatformModel). */
export function fitModels(platforms: Platform[], timezone: string, history: HistoryObservation[], now: number): EngagementModel[] {
  const clock = new CellClock(timezone);
  return [...new Set(platforms)].map((platform) => fitPlatformModel(platform, timezone, history, now, clock));
}

interface ScaleFit {
  post: Float64Array;
  priorSlope: number;
  priorShift: number;
  audienceSlope: number;
  level: number;
  /** Log marginal likelihood of the observed cell means (up to a constant). */
  logEvidence: number;
}

/** The posterior with the local parts' covariance multiplied by `scale` (see fitModel). */
function fitAtScale(o: {
  scale: number;
  observed: number[];
  stats: CellStats;
  sigma2: number;
  centred: Float64Array;
  gradient: Float64Array;
  audience: Float64Array;
  localK: Float64Array;
}): ScaleFit {
  const { scale, observed, stats, sigma2, centred, gradient, audience, localK } = o;
  const P = MODEL_PRIORS;
  const shiftVar = P.priorShiftSd * P.priorShiftSd;
  const levelVar = P.levelSd * P.levelSd;
  const slopeMean: number = P.priorSlopeMean;
  const slopeVar = P.priorSlopeSd * P.priorSlopeSd;
  const mean0 = (c: number): number => slopeMean * (centred[c] ?? 0) + P.audienceSlopeMean * (audience[c] ?? 0);
  const audienceVar = P.audienceSlopeSd * P.audienceSlopeSd;
  const m = observed.length;
  // (K_OO + D) with D = σ²/Σw per observed cell, factorised once.
  const chol = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const a = observed[i] ?? 0;
    for (let j = 0; j <= i; j++) {
      const b = observed[j] ?? 0;
      const k =
        levelVar +
        slopeVar * (centred[a] ?? 0) * (centred[b] ?? 0) +
        shiftVar * (gradient[a] ?? 0) * (gradient[b] ?? 0) +
        audienceVar * (audience[a] ?? 0) * (audience[b] ?? 0) +
        scale * (localK[a * HOURS_PER_WEEK + b] ?? 0);
      chol[i * m + j] = k;
      chol[j * m + i] = k;
    }
    chol[i * m + i] = (chol[i * m + i] ?? 0) + sigma2 / (stats.weight[a] ?? 1);
  }
  cholesky(chol, m);
  const alpha = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const c = observed[i] ?? 0;
    alpha[i] = (stats.sum[c] ?? 0) / (stats.weight[c] ?? 1) - mean0(c);
  }
  forward(chol, m, alpha);
  // log N(r; 0, K + D) = −½ |L⁻¹r|² − Σ log L_ii + const.
  let logEvidence = 0;
  for (let i = 0; i < m; i++) logEvidence -= 0.5 * (alpha[i] ?? 0) ** 2 + Math.log(chol[i * m + i] ?? 1);
  backward(chol, m, alpha);
  // β's, γ's and the level's posterior means: their prior means plus their share of the fit.
  let priorSlope = slopeMean;
  let priorShift = 0;
  let audienceSlope: number = P.audienceSlopeMean;
  let level = 0;
  for (let i = 0; i < m; i++) {
    const c = observed[i] ?? 0;
    priorSlope += slopeVar * (centred[c] ?? 0) * (alpha[i] ?? 0);
    priorShift += shiftVar * (gradient[c] ?? 0) * (alpha[i] ?? 0);
    audienceSlope += audienceVar * (audience[c] ?? 0) * (alpha[i] ?? 0);
    level += levelVar * (alpha[i] ?? 0);
  }
  let audienceSize = 0;
  for (const a of audience) audienceSize += a * a;
  if (audienceSize === 0) audienceSlope = 0;

  // Posterior mean per cell: level + β·prior + δ·gradient + γ·audience + the local parts'
  // covariance with the data.
  const post = new Float64Array(HOURS_PER_WEEK);
  for (let c = 0; c < HOURS_PER_WEEK; c++) post[c] = level + priorSlope * (centred[c] ?? 0) + priorShift * (gradient[c] ?? 0) + audienceSlope * (audience[c] ?? 0);
  for (let i = 0; i < m; i++) {
    const src = (observed[i] ?? 0) * HOURS_PER_WEEK;
    const weight = scale * (alpha[i] ?? 0);
    for (let c = 0; c < HOURS_PER_WEEK; c++) post[c] = (post[c] ?? 0) + (localK[src + c] ?? 0) * weight;
  }
  return { post, priorSlope, priorShift, audienceSlope, level, logEvidence };
}

export function fitModel(options: FitOptions): EngagementModel {
  const { platform, timezone, now } = options;
  const clock = options.clock ?? new CellClock(timezone);
  const prior = priorSurface(platform, offsetMinutesAt(timezone, now));

  const { stats, rawSum, total } = collectStats(options.history, (p) => p === platform, now, clock);
  const sigma2 = noiseVariance(stats);

  let priorMean = 0;
  for (const p of prior) priorMean += p;
  priorMean /= HOURS_PER_WEEK;
  const centred = Float64Array.from(prior, (p) => p - priorMean);
  // The prior's change per hour (central difference around the ring): the direction in which
  // the surface moves when it is shifted.
  const gradient = Float64Array.from(prior, (_, c) => ((prior[(c + 1) % HOURS_PER_WEEK] ?? 0) - (prior[(c + HOURS_PER_WEEK - 1) % HOURS_PER_WEEK] ?? 0)) / 2);
  const audience = options.audience ?? new Float64Array(HOURS_PER_WEEK);

  // The covariance of the cell effects: global parts (level, β·prior) plus local parts
  // (hour profile, weekday, slot). Only the local parts enter the confidence.
  const localK = localCovariance();

  const observed: number[] = [];
  for (let c = 0; c < HOURS_PER_WEEK; c++) if ((stats.weight[c] ?? 0) > 0) observed.push(c);
  const m = observed.length;

  // One fit per scale of the local parts (see LOCAL_SCALES), averaged by their evidence.
  // Without history the data cannot choose: the nominal scale.
  const scales: readonly number[] = m > 0 ? LOCAL_SCALES : [1];
  const fits = scales.map((scale) => fitAtScale({ scale, observed, stats, sigma2, centred, gradient, audience, localK }));
  let best = -Infinity;
  for (const f of fits) best = Math.max(best, f.logEvidence);
  const odds = fits.map((f) => Math.exp(f.logEvidence - best));
  let oddsTotal = 0;
  for (const o of odds) oddsTotal += o;
  const post = new Float64Array(HOURS_PER_WEEK);
  let priorSlope = 0;
  let priorShift = 0;
  let audienceSlope = 0;
  let level = 0;
  let localScale = 0;
  fits.forEach((f, i) => {
    const p = (odds[i] ?? 0) / oddsTotal;
    for (let c = 0; c < HOURS_PER_WEEK; c++) post[c] = (post[c] ?? 0) + p * (f.post[c] ?? 0);
    priorSlope += p * f.priorSlope;
    priorShift += p * f.priorShift;
    audienceSlope += p * f.audienceSlope;
    level += p * f.level;
    localScale += p * (scales[i] ?? 1);
  });

  // Uncertainty left per cell, from an effective sample size: each observed cell counts toward
  // cell c with its recency weight × the squared correlation of their local effects (1 for the
  // cell itself, 0.89 one hour away, 0.18 for the same hour on another day). Treating those
  // contributions as independent slightly overstates what overlapping posts tell (the exact
  // posterior variance would cost 168 forward solves per platform, ~20× the rest of the fit).
  const posteriorSd = new Float64Array(HOURS_PER_WEEK);
  const historyWeight = new Float64Array(HOURS_PER_WEEK);
  const effectivePosts = new Float64Array(HOURS_PER_WEEK);
  for (let i = 0; i < m; i++) {
    const o = observed[i] ?? 0;
    const src = o * HOURS_PER_WEEK;
    const w = stats.weight[o] ?? 0;
    const vo = localK[src + o] ?? 1;
    for (let c = 0; c < HOURS_PER_WEEK; c++) {
      const k = localK[src + c] ?? 0;
      effectivePosts[c] = (effectivePosts[c] ?? 0) + (w * k * k) / (vo * (localK[c * HOURS_PER_WEEK + c] ?? 1));
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    const localPrior = localScale * (localK[c * HOURS_PER_WEEK + c] ?? 1);
    const variance = 1 / (1 / localPrior + (effectivePosts[c] ?? 0) / sigma2);
    posteriorSd[c] = Math.sqrt(variance);
    historyWeight[c] = 1 - variance / localPrior;
    const value = post[c] ?? 0;
    lo = Math.min(lo, value);
    hi = Math.max(hi, value);
  }
  let spread = 0;
  const mid = (lo + hi) / 2;
  for (const value of post) spread += (value - mid) ** 2;
  spread = Math.max(0.05, Math.sqrt(spread / HOURS_PER_WEEK));

  const grid = new Float64Array(HOURS_PER_WEEK);
  const confidence = new Float64Array(HOURS_PER_WEEK);
  const meanLogLift = new Float64Array(HOURS_PER_WEEK);
  for (let c = 0; c < HOURS_PER_WEEK; c++) {
    grid[c] = hi > lo ? ((post[c] ?? 0) - lo) / (hi - lo) : (prior[c] ?? 0);
    // Prior-only cells get a modest fixed confidence; history adds to it in proportion to the
    // uncertainty it removed, discounted when the posterior is still wide relative to the spread
    // of the week.
    const h = historyWeight[c] ?? 0;
    confidence[c] = Math.min(1, 0.2 + 0.75 * h * Math.exp(-(posteriorSd[c] ?? 0) / spread));
    const count = stats.posts[c] ?? 0;
    meanLogLift[c] = count > 0 ? (rawSum[c] ?? 0) / count : 0;
  }
  return {
    platform,
    grid,
    confidence,
    historyWeight,
    posterior: post,
    posteriorSd,
    prior,
    posts: stats.posts,
    meanLogLift,
    totalPosts: total,
    noiseVariance: sigma2,
    priorSlope,
    priorShift,
    audienceSlope,
    audience,
    level,
    localScale,
  };
}
