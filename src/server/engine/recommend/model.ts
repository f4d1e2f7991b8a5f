/**
 * The engagement model for one platform: a hierarchical empirical-Bayes model of the account's
 * log-lift over its median engagement rate per local weekday × hour in the audience zone.
 * Each cell's effect is the sum of parts that are pooled at different levels:
 *   global parts, Gaussian: the account's level + β × (industry prior, read s whole hours later,
 *   s ∈ PRIOR_SHIFTS_HOURS, averaged by evidence) + δ × (that prior's hourly gradient: the
 *   sub-hour rest of the shift) + γ × (the account's rhythm on its other platforms);
 *   local parts, sparse: hour-of-day bumps shared by all weekdays, weekday levels and one
 *   weekday's bumps (a weekly show), each with its own variance under an exponential prior
 *   (a Laplace prior on its height), most of them 0 (see sparseCandidates, sparseFit).
 * History posts are noisy, recency-weighted observations of their cell, the noise variance
 * estimated from the account's own repeated cells. The global parts are integrated out in closed
 * form over the observed cells (Gaussian-process regression); the local parts that the data
 * support are added one at a time by their marginal likelihood.
 */
import type { Platform } from '../../../shared/api';
import { Temporal } from '../../../shared/time';
import type { HistoryObservation } from '../types';
import { ZoneClock } from '../zone-clock';
import { HOURS_PER_WEEK as WEEK_CELLS, priorSurface } from './surface';

/** A module-local copy: hot loops read it without going through the import binding. */
const HOURS_PER_WEEK: number = WEEK_CELLS;

export const MODEL_VERSION = 'cadence-eb-weekhour-4';

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
  /**
   * β: how strongly this account follows the industry prior surface. The studies are averages
   * over accounts, so an account anti-correlated with them (β < 0) is rare: sd 0.5 gives that
   * 16 % and keeps β = 1.5 (3× the default weight) within 2 sd; sd 1 gave it 31 %, and a month of
   * noisy posts could then turn the studies' peaks into troughs (README).
   */
  priorSlopeMean: 0.5,
  priorSlopeSd: 0.5,
  /**
   * δ: the sub-hour rest of the shift (the whole hours are PRIOR_SHIFTS_HOURS), as δ × the
   * prior's hourly gradient, δ ≈ −β × hours later; sd 0.5: half the grid's step.
   */
  priorShiftSd: 0.5,
  /**
   * Local parts. Their sds are the typical height of one part (the mean of its variance's
   * exponential prior); lengths are the Gaussian kernels' whose bumps they are (sd length/√2).
   * Hour-of-day profile shared by all weekdays, smooth over ~2 h (circular over 24 h).
   */
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
 * An audience runs earlier or later than the studies' panels (office audiences early, younger
 * ones late): the prior is read s hours later for each s here, equally likely a priori, and the
 * fits are averaged by their marginal likelihood. ±2 h is 2 sd of the earlier δ's prior (sd 1 h,
 * "an hour either way is common"); δ keeps the sub-hour rest.
 */
export const PRIOR_SHIFTS_HOURS: readonly number[] = [-2, -1, 0, 1, 2];

/** Enough steps for every candidate to enter and be re-estimated a few times. */
const SPARSE_MAX_STEPS = 400;

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
  /** Posterior mean of δ, the sub-hour rest of the shift (≈ −β × hours later). */
  priorShift: number;
  /** Posterior mean of the whole-hour shift of the prior (positive: the audience runs later). */
  priorShiftHours: number;
  /** Posterior mean of γ, the weight of the account's other platforms (0 when they have no posts). */
  audienceSlope: number;
  /** The account's rhythm on its other platforms per cell (log-lift; zeros without them). */
  audience: Float64Array;
  /** The account's mean log-lift (the level part). */
  level: number;
  /** How many sparse local parts the fit kept (posterior mean over the shifts). */
  localParts: number;
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

interface ShiftFit {
  post: Float64Array;
  priorSlope: number;
  priorShift: number;
  audienceSlope: number;
  level: number;
  /** Log marginal likelihood of the observed cell means (up to a constant), penalised by the local parts' variance prior. */
  logEvidence: number;
  /** How many local parts the fit kept. */
  localParts: number;
}

/**
 * One candidate of the sparse local parts: a shape over the week with its own variance, whose
 * prior is exponential with mean `meanVariance` (so its height has a Laplace prior).
 */
export interface SparseCandidate {
  kind: 'slot' | 'hour' | 'weekday';
  /** Where it is centred: a cell (slot), an hour of day (hour) or a weekday (weekday). */
  at: number;
  /** Its value at every cell of the week. */
  shape: Float64Array;
  /** Its non-zero values at the observed cells, as indices into `observed` and values. */
  index: Int32Array;
  values: Float64Array;
  meanVariance: number;
}

/** A Gaussian bump of sd `sd` at ring distance d, cut at 3 sd. */
function bump(d: number, sd: number): number {
  return d > 3 * sd ? 0 : Math.exp(-(d * d) / (2 * sd * sd));
}

/**
 * The local parts as sparse candidates, each centred where there is data (as in the relevance
 * vector machine: one centred hours away from every post would be pinned only by its tail and
 * could take any height). Each keeps its Gaussian part's length and magnitude: an SE kernel of
 * length ℓ is a sum of Gaussian bumps of sd ℓ/√2 with independent heights, so these are the same
 * parts with one variance per bump instead of one shared by all.
 *   slot: a bump on one weekday's hours (a weekly show, a newsletter day), sd slotLength/√2;
 *   hour: a bump at one hour of every day (a daily rhythm), sd hourLength/√2 around 24 h;
 *   weekday: a whole weekday above or below the rest.
 */
export function sparseCandidates(observed: readonly number[]): SparseCandidate[] {
  const out: SparseCandidate[] = [];
  const present = new Uint8Array(HOURS_PER_WEEK);
  const hours = new Uint8Array(24);
  const days = new Uint8Array(7);
  for (const c of observed) {
    present[c] = 1;
    hours[c % 24] = 1;
    days[Math.floor(c / 24)] = 1;
  }
  const m = observed.length;
  const index = new Int32Array(m);
  const values = new Float64Array(m);
  for (const shape of candidateShapes()) {
    const used = shape.kind === 'slot' ? present[shape.at] : shape.kind === 'hour' ? hours[shape.at] : days[shape.at];
    if (used !== 1) continue;
    let count = 0;
    for (let i = 0; i < m; i++) {
      const v = shape.shape[observed[i] ?? 0] ?? 0;
      if (v === 0) continue;
      index[count] = i;
      values[count] = v;
      count++;
    }
    out.push({ kind: shape.kind, at: shape.at, shape: shape.shape, meanVariance: shape.meanVariance, index: index.slice(0, count), values: values.slice(0, count) });
  }
  return out;
}

let shapesCache: Array<Omit<SparseCandidate, 'index' | 'values'>> | undefined;

/** Every candidate's shape over the week (they depend only on MODEL_PRIORS: built once). */
function candidateShapes(): Array<Omit<SparseCandidate, 'index' | 'values'>> {
  if (shapesCache) return shapesCache;
  const P = MODEL_PRIORS;
  const slotSd = P.slotLengthHours / Math.SQRT2;
  const hourSd = P.hourLengthHours / Math.SQRT2;
  const out: Array<Omit<SparseCandidate, 'index' | 'values'>> = [];
  const make = (f: (c: number) => number): Float64Array => {
    const shape = new Float64Array(HOURS_PER_WEEK);
    for (let c = 0; c < HOURS_PER_WEEK; c++) shape[c] = f(c);
    return shape;
  };
  for (let at = 0; at < HOURS_PER_WEEK; at++) out.push({ kind: 'slot', at, shape: make((c) => bump(ringDistance(c, at, HOURS_PER_WEEK), slotSd)), meanVariance: P.slotSd * P.slotSd });
  for (let at = 0; at < 24; at++) out.push({ kind: 'hour', at, shape: make((c) => bump(ringDistance(c % 24, at, 24), hourSd)), meanVariance: P.hourSd * P.hourSd });
  for (let at = 0; at < 7; at++) out.push({ kind: 'weekday', at, shape: make((c) => (Math.floor(c / 24) === at ? 1 : 0)), meanVariance: P.weekdaySd * P.weekdaySd });
  shapesCache = out;
  return out;
}

/**
 * The inverse covariance of the observed cell means, kept as diag(dinv) − Σₜ coefₜ·uₜuₜᵀ: the
 * Gaussian parts are low-rank over a diagonal noise (Woodbury), and each sparse part adds one
 * rank-1 term, so nothing costs O(m²) per term.
 */
interface LowRankInverse {
  dinv: Float64Array;
  terms: Float64Array[];
  coef: number[];
}

/** C⁻¹·x for a vector x over the observed cells. */
function applyInverse(inv: LowRankInverse, x: Float64Array): Float64Array {
  const m = inv.dinv.length;
  const y = new Float64Array(m);
  for (let a = 0; a < m; a++) y[a] = (inv.dinv[a] ?? 0) * (x[a] ?? 0);
  inv.terms.forEach((u, t) => {
    let dot = 0;
    for (let a = 0; a < m; a++) dot += (u[a] ?? 0) * (x[a] ?? 0);
    const f = (inv.coef[t] ?? 0) * dot;
    if (f !== 0) for (let a = 0; a < m; a++) y[a] = (y[a] ?? 0) - f * (u[a] ?? 0);
  });
  return y;
}

/**
 * Sparse Bayesian learning (Tipping & Faul 2003, with an exponential prior on each variance):
 * candidates enter, change or leave one at a time, whichever raises the penalised marginal
 * likelihood most, until none does. Most candidates stay at 0. Adds one term to `inv` per step;
 * returns the variances, the change of log|C|, the prior penalty and C⁻¹r.
 */
function sparseFit(cands: readonly SparseCandidate[], inv: LowRankInverse, r: Float64Array): { variance: Float64Array; logDetChange: number; penalty: number; alpha: Float64Array } {
  const n = cands.length;
  const m = r.length;
  const alpha = applyInverse(inv, r);
  // S = φᵀC⁻¹φ, Q = φᵀC⁻¹r per candidate (φ is sparse: its values at the observed cells).
  const S = new Float64Array(n);
  const Q = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const { index, values } = cands[j] as SparseCandidate;
    let sj = 0;
    let qj = 0;
    for (let x = 0; x < index.length; x++) {
      const a = index[x] ?? 0;
      const va = values[x] ?? 0;
      sj += va * va * (inv.dinv[a] ?? 0);
      qj += va * (alpha[a] ?? 0);
    }
    inv.terms.forEach((u, t) => {
      let dot = 0;
      for (let x = 0; x < index.length; x++) dot += (values[x] ?? 0) * (u[index[x] ?? 0] ?? 0);
      sj -= (inv.coef[t] ?? 0) * dot * dot;
    });
    S[j] = sj;
    Q[j] = qj;
  }
  const variance = new Float64Array(n);
  // ℓ(v) = ½[−log(1 + v·s) + v·q²/(1 + v·s)]: a candidate's share of the log evidence at variance v.
  const share = (v: number, s: number, q: number): number => (v <= 0 ? 0 : 0.5 * (-Math.log1p(v * s) + (v * q * q) / (1 + v * s)));
  let logDetChange = 0;
  let penalty = 0;
  const phi = new Float64Array(m);
  for (let step = 0; step < SPARSE_MAX_STEPS; step++) {
    let bestGain = 1e-6;
    let bestJ = -1;
    let bestV = 0;
    for (let j = 0; j < n; j++) {
      const v0 = (cands[j] as SparseCandidate).meanVariance;
      const old = variance[j] ?? 0;
      // s, q without candidate j's own part.
      const denom = 1 - old * (S[j] ?? 0);
      const s = (S[j] ?? 0) / denom;
      const q = (Q[j] ?? 0) / denom;
      const next = peakVariance(s, q, v0);
      const gain = share(next, s, q) - next / v0 - (share(old, s, q) - old / v0);
      if (gain > bestGain) {
        bestGain = gain;
        bestJ = j;
        bestV = next;
      }
    }
    if (bestJ < 0) break;
    const chosen = cands[bestJ] as SparseCandidate;
    const dv = bestV - (variance[bestJ] ?? 0);
    variance[bestJ] = bestV;
    penalty += dv / chosen.meanVariance;
    // Sherman–Morrison: C ← C + dv·φφᵀ gives C⁻¹ ← C⁻¹ − c·uuᵀ with u = C⁻¹φ.
    phi.fill(0);
    for (let x = 0; x < chosen.index.length; x++) phi[chosen.index[x] ?? 0] = chosen.values[x] ?? 0;
    const u = applyInverse(inv, phi);
    const denom = 1 + dv * (S[bestJ] ?? 0);
    logDetChange += Math.log(denom);
    const c = dv / denom;
    inv.terms.push(u);
    inv.coef.push(c);
    let ur = 0;
    for (let a = 0; a < m; a++) ur += (u[a] ?? 0) * (r[a] ?? 0);
    for (let a = 0; a < m; a++) alpha[a] = (alpha[a] ?? 0) - c * ur * (u[a] ?? 0);
    for (let j = 0; j < n; j++) {
      const { index, values } = cands[j] as SparseCandidate;
      let t = 0;
      for (let x = 0; x < index.length; x++) t += (values[x] ?? 0) * (u[index[x] ?? 0] ?? 0);
      S[j] = (S[j] ?? 0) - c * t * t;
      Q[j] = (Q[j] ?? 0) - c * t * ur;
    }
  }
  return { variance, logDetChange, penalty, alpha };
}

/**
 * The most probable variance of one candidate given s = φᵀC₋ⱼ⁻¹φ and q = φᵀC₋ⱼ⁻¹r (C without
 * it) under an exponential prior of mean v0: maximises ½[−log(1 + v·s) + v·q²/(1 + v·s)] − v/v0.
 * With z = 1 + v·s the optimum solves 2z² + s·v0·z − q²·v0 = 0; below z = 1 it is 0.
 */
export function peakVariance(s: number, q: number, v0: number): number {
  if (s <= 0) return 0;
  const z = (-s * v0 + Math.sqrt(s * s * v0 * v0 + 8 * q * q * v0)) / 4;
  return z > 1 ? (z - 1) / s : 0;
}

/**
 * The posterior given the prior read `shift` hours later (`centred`, `gradient` are that moved
 * prior): the Gaussian global parts are integrated out in closed form (one Cholesky of the
 * observed cells), then the sparse local parts are chosen on top (see `sparseFit`).
 */
function fitAtShift(o: {
  observed: number[];
  stats: CellStats;
  sigma2: number;
  centred: Float64Array;
  gradient: Float64Array;
  audience: Float64Array;
  cands: readonly SparseCandidate[];
}): ShiftFit {
  const { observed, stats, sigma2, centred, gradient, audience, cands } = o;
  const P = MODEL_PRIORS;
  const shiftVar = P.priorShiftSd * P.priorShiftSd;
  const levelVar = P.levelSd * P.levelSd;
  const slopeMean: number = P.priorSlopeMean;
  const slopeVar = P.priorSlopeSd * P.priorSlopeSd;
  const mean0 = (c: number): number => slopeMean * (centred[c] ?? 0) + P.audienceSlopeMean * (audience[c] ?? 0);
  const audienceVar = P.audienceSlopeSd * P.audienceSlopeSd;
  const m = observed.length;
  // C = D + U·Uᵀ over the observed cells: D the noise σ²/Σw per cell, U the global parts (level,
  // β·prior, δ·gradient, γ·audience: rank ≤ 4). C⁻¹ and log|C| by Woodbury, O(m·k²) not O(m³).
  const columns: Float64Array[] = [Float64Array.from(observed, () => Math.sqrt(levelVar))];
  const slopeSd = Math.sqrt(slopeVar);
  const shiftSd = Math.sqrt(shiftVar);
  columns.push(Float64Array.from(observed, (c) => slopeSd * (centred[c] ?? 0)));
  columns.push(Float64Array.from(observed, (c) => shiftSd * (gradient[c] ?? 0)));
  let audienceSize = 0;
  for (const a of audience) audienceSize += a * a;
  if (audienceSize > 0) columns.push(Float64Array.from(observed, (c) => Math.sqrt(audienceVar) * (audience[c] ?? 0)));
  const k = columns.length;
  const dinv = Float64Array.from(observed, (c) => (stats.weight[c] ?? 1) / sigma2);
  // M = I + UᵀD⁻¹U (k×k) = LLᵀ; then C⁻¹ = D⁻¹ − ZZᵀ with Z = D⁻¹U·L⁻ᵀ.
  const small = new Float64Array(k * k);
  for (let p = 0; p < k; p++) {
    for (let q = 0; q <= p; q++) {
      let t = p === q ? 1 : 0;
      const up = columns[p] as Float64Array;
      const uq = columns[q] as Float64Array;
      for (let a = 0; a < m; a++) t += (up[a] ?? 0) * (dinv[a] ?? 0) * (uq[a] ?? 0);
      small[p * k + q] = t;
      small[q * k + p] = t;
    }
  }
  cholesky(small, k);
  let logDet = 0;
  for (let a = 0; a < m; a++) logDet -= Math.log(dinv[a] ?? 1);
  for (let p = 0; p < k; p++) logDet += 2 * Math.log(small[p * k + p] ?? 1);
  const z = columns.map(() => new Float64Array(m));
  const row = new Float64Array(k);
  for (let a = 0; a < m; a++) {
    // Row a of Z solves L·zₐ = (D⁻¹U)ₐ (forward substitution).
    for (let p = 0; p < k; p++) {
      let t = (dinv[a] ?? 0) * ((columns[p] as Float64Array)[a] ?? 0);
      for (let q = 0; q < p; q++) t -= (small[p * k + q] ?? 0) * (row[q] ?? 0);
      row[p] = t / (small[p * k + p] ?? 1);
      (z[p] as Float64Array)[a] = row[p] ?? 0;
    }
  }
  const inv: LowRankInverse = { dinv, terms: z, coef: z.map(() => 1) };
  const r = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const c = observed[i] ?? 0;
    r[i] = (stats.sum[c] ?? 0) / (stats.weight[c] ?? 1) - mean0(c);
  }
  const sparse = sparseFit(cands, inv, r);
  logDet += sparse.logDetChange;
  const alpha = sparse.alpha;
  let quad = 0;
  for (let a = 0; a < m; a++) quad += (alpha[a] ?? 0) * (r[a] ?? 0);
  // log N(r; 0, C + Σ vⱼφⱼφⱼᵀ) + the variances' log prior (−Σ vⱼ/v0ⱼ, up to a constant).
  const logEvidence = -0.5 * quad - 0.5 * logDet - sparse.penalty;
  // β's, δ's, γ's and the level's posterior means: their prior means plus their share of the fit.
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
  if (audienceSize === 0) audienceSlope = 0;

  // Posterior mean per cell: level + β·prior + δ·gradient + γ·audience + each kept local part
  // at its posterior height vⱼ·φⱼᵀC⁻¹r.
  const post = new Float64Array(HOURS_PER_WEEK);
  for (let c = 0; c < HOURS_PER_WEEK; c++) post[c] = level + priorSlope * (centred[c] ?? 0) + priorShift * (gradient[c] ?? 0) + audienceSlope * (audience[c] ?? 0);
  let localParts = 0;
  cands.forEach((cand, j) => {
    const v = sparse.variance[j] ?? 0;
    if (v <= 0) return;
    localParts++;
    let t = 0;
    for (let x = 0; x < cand.index.length; x++) t += (cand.values[x] ?? 0) * (alpha[cand.index[x] ?? 0] ?? 0);
    const height = v * t;
    for (let c = 0; c < HOURS_PER_WEEK; c++) post[c] = (post[c] ?? 0) + height * (cand.shape[c] ?? 0);
  });
  return { post, priorSlope, priorShift, audienceSlope, level, logEvidence, localParts };
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

  // The local parts' correlation (hour profile + weekday + slot at their nominal scales): for the
  // confidence below. The fit itself keeps them sparse (see sparseCandidates).
  const localK = localCovariance();

  const observed: number[] = [];
  for (let c = 0; c < HOURS_PER_WEEK; c++) if ((stats.weight[c] ?? 0) > 0) observed.push(c);
  const m = observed.length;

  // One fit per whole-hour shift of the prior (see PRIOR_SHIFTS_HOURS), averaged by their
  // evidence. Without history the data cannot choose: the prior as published.
  const shifts: readonly number[] = m > 0 ? PRIOR_SHIFTS_HOURS : [0];
  const cands = sparseCandidates(observed);
  const fits = shifts.map((shift) => {
    // The prior read `shift` hours later (an audience that runs late), around the ring.
    const moved = shift === 0 ? centred : Float64Array.from(centred, (_, c) => centred[(((c - shift) % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK] ?? 0);
    const movedGradient = shift === 0 ? gradient : Float64Array.from(gradient, (_, c) => gradient[(((c - shift) % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK] ?? 0);
    return fitAtShift({ observed, stats, sigma2, centred: moved, gradient: movedGradient, audience, cands });
  });
  let best = -Infinity;
  for (const f of fits) best = Math.max(best, f.logEvidence);
  const odds = fits.map((f) => Math.exp(f.logEvidence - best));
  let oddsTotal = 0;
  for (const o of odds) oddsTotal += o;
  const post = new Float64Array(HOURS_PER_WEEK);
  let priorSlope = 0;
  let priorShift = 0;
  let priorShiftHours = 0;
  let audienceSlope = 0;
  let level = 0;
  let localParts = 0;
  fits.forEach((f, i) => {
    const p = (odds[i] ?? 0) / oddsTotal;
    for (let c = 0; c < HOURS_PER_WEEK; c++) post[c] = (post[c] ?? 0) + p * (f.post[c] ?? 0);
    priorSlope += p * f.priorSlope;
    priorShift += p * f.priorShift;
    priorShiftHours += p * (shifts[i] ?? 0);
    audienceSlope += p * f.audienceSlope;
    level += p * f.level;
    localParts += p * f.localParts;
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
    const localPrior = localK[c * HOURS_PER_WEEK + c] ?? 1;
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
    priorShiftHours,
    localParts,
  };
}
