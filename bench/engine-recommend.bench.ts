/**
 * Recommendation bench: synthetic accounts with a known, planted audience pattern, history of
 * 0, 4, 16 and 52 weeks (7 posts a week in waking hours) with per-post noise, scored by NDCG@10
 * against the true best windows of the next 7 days (60-min windows, America/New_York).
 * Compared with the prior-only model and fixed daily slots (Postiz-style 09:20, 14:10, 19:00).
 * Then latency of recommend() for 4 platforms over 7 days.
 *
 * Two scenarios, both reported:
 * - `platform` (the realistic case, headline): an account broadly follows its platform's rhythm
 *   with its own deviations. Per account and platform (all 4 platforms, 30 accounts each):
 *     true log-lift = a · A · (prior surface shifted by s − its mean) + Σ 2 own peaks,
 *   with A = 1.0 (the studies' best hour ≈ e¹ ≈ 2.7× their worst, the 2–3× spread between best
 *   and worst hours that the published heatmaps show), a ~ U(0.7, 1.3) (how closely this account
 *   follows its platform), s ~ U(−2, 2) h (an audience of students or shift workers runs early
 *   or late against the survey's panel), and 2 own peaks (a weekly show, a newsletter day) on a
 *   random weekday at U(8, 22) h, 1.5 h wide, amplitude D · U(0.5, 1) with D = 0.5 — half the
 *   prior's range, so an own peak can beat the platform's best hour but does not swamp it.
 *   Observations as real metrics arrive: impressions log-normal (median 1,000, σ = 1 in log,
 *   at least 20 — reach varies ~10× post to post), per-post content noise σ = 0.35 in log
 *   (as in the stress case), engagements Poisson(impressions × rate), so a post with 50
 *   impressions is much noisier than one with 5,000.
 *   These values were fixed before the first run of this scenario and are not tuned; the
 *   sensitivity table (D × σ at 16 weeks) shows where the target holds and where it does not.
 * - `stress` (independent peaks, the earlier bench unchanged): three random weekly peaks
 *   (amplitude 0.5–1, 1.5 h wide) + a night dip, unrelated to the platform's priors, TikTok
 *   only, σ = 0.35, impressions median 2,000 (σ = 0.5), engagements rounded (no count noise).
 *   The prior has nothing to offer here, so it is the hard case.
 *
 * Ideal lists. The issue requires the top-N spread across days, so the headline NDCG divides by
 * the best list under the same rules: our picker (non-overlap, day spread) fed the true pattern
 * (`ndcg_same_rules`; the oracle scores 1 there by construction, and a model's list can exceed
 * it slightly because greedy picking is not exactly DCG-optimal). `ndcg_unconstrained` divides
 * by the best 10 non-overlapping windows regardless of day (the earlier bench's figure); there
 * even the oracle stays below 1 because it spreads days.
 * Relevance: a window's true lift scaled 0..1 over the horizon's windows; gain 2^(3·rel) − 1
 * (`exp`, headline) or rel (`linear`).
 */
import os from 'node:os';
import { PLATFORMS, type Platform } from '../src/shared/api';
import { fitModel, offsetMinutesAt } from '../src/server/engine/recommend/model';
import { localStarts, recommend, selectWindows } from '../src/server/engine/recommend/recommend';
import { priorSurface } from '../src/server/engine/recommend/surface';
import { rng } from '../src/server/engine/testing/instances';
import type { HistoryObservation, RecommendInput } from '../src/server/engine/types';
import { Temporal } from '../src/shared/time';

const ZONE = 'America/New_York';
const NOW = Date.parse('2026-11-30T05:00:00Z'); // Monday 00:00 in New York
const HORIZON_MS = 7 * 86_400_000;
const DURATION = 60;
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 30);
const HISTORY_WEEKS = [0, 4, 16, 52];
const POSTS_PER_WEEK = 7;
const WEEK = 7 * 86_400_000;
const BASE_RATE = 0.04;

/** The realistic scenario's parameters (see the file comment for why each value). */
const PLATFORM_SCENARIO = {
  priorAmplitude: 1.0,
  adherence: [0.7, 1.3],
  shiftHours: 2,
  ownPeaks: 2,
  ownPeakSize: 0.5,
  noise: 0.35,
  impressionsMedian: 1000,
  impressionsLogSd: 1,
  impressionsMin: 20,
} as const;
const STRESS_NOISE = 0.35;

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function poisson(mean: number, random: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** A bump of height `amp`, `width` h wide (sd), centred at hour `at` of the 168-hour ring. */
function addPeak(lift: Float64Array, at: number, amp: number, width: number): void {
  for (let c = 0; c < 168; c++) {
    let d = Math.abs(c + 0.5 - at);
    d = Math.min(d, 168 - d);
    lift[c] = (lift[c] ?? 0) + amp * Math.exp(-(d * d) / (2 * width * width));
  }
}

/** Stress case: three peaks (1.5 h wide) and a night dip, independent of the platform. */
function stressPattern(random: () => number): Float64Array {
  const lift = new Float64Array(168);
  const peaks = Array.from({ length: 3 }, () => ({ day: Math.floor(random() * 7), hour: 9 + random() * 12, amp: 0.5 + random() * 0.5 }));
  for (let c = 0; c < 168; c++) lift[c] = -0.6 * Math.exp(-(((c % 24) - 3.5) ** 2) / (2 * 3 * 3));
  for (const p of peaks) addPeak(lift, p.day * 24 + p.hour, p.amp, 1.5);
  return lift;
}

/** Realistic case: the platform's prior surface (shifted, scaled) plus the account's own peaks. */
function platformPattern(platform: Platform, random: () => number, ownPeakSize: number = PLATFORM_SCENARIO.ownPeakSize): Float64Array {
  const S = PLATFORM_SCENARIO;
  const prior = priorSurface(platform, offsetMinutesAt(ZONE, NOW));
  const mean = prior.reduce((a, v) => a + v, 0) / 168;
  const a = S.adherence[0] + random() * (S.adherence[1] - S.adherence[0]);
  const shift = (random() * 2 - 1) * S.shiftHours;
  const lift = new Float64Array(168);
  for (let c = 0; c < 168; c++) {
    // The surface read `shift` hours earlier/later, linearly interpolated around the ring.
    const at = (((c - shift) % 168) + 168) % 168;
    const lo = Math.floor(at);
    const f = at - lo;
    const v = (prior[lo % 168] ?? 0) * (1 - f) + (prior[(lo + 1) % 168] ?? 0) * f;
    lift[c] = a * S.priorAmplitude * (v - mean);
  }
  for (let k = 0; k < S.ownPeaks; k++) {
    const day = Math.floor(random() * 7);
    const hour = 8 + random() * 14;
    addPeak(lift, day * 24 + hour, ownPeakSize * (0.5 + random() * 0.5), 1.5);
  }
  return lift;
}

function cellOf(ms: number): number {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(ZONE);
  return (z.dayOfWeek - 1) * 24 + z.hour;
}

interface HistoryOptions {
  noise: number;
  impressionsMedian: number;
  impressionsLogSd: number;
  impressionsMin: number;
  /** Engagements drawn as counts (Poisson), or the expected count rounded. */
  countNoise: boolean;
}

const STRESS_HISTORY: HistoryOptions = { noise: STRESS_NOISE, impressionsMedian: 2000, impressionsLogSd: 0.5, impressionsMin: 50, countNoise: false };
const PLATFORM_HISTORY: HistoryOptions = {
  noise: PLATFORM_SCENARIO.noise,
  impressionsMedian: PLATFORM_SCENARIO.impressionsMedian,
  impressionsLogSd: PLATFORM_SCENARIO.impressionsLogSd,
  impressionsMin: PLATFORM_SCENARIO.impressionsMin,
  countNoise: true,
};

function history(lift: Float64Array, weeks: number, random: () => number, platform: Platform, o: HistoryOptions): HistoryObservation[] {
  const out: HistoryObservation[] = [];
  for (let w = 0; w < weeks; w++) {
    for (let k = 0; k < POSTS_PER_WEEK; k++) {
      // Creators post in waking hours, not uniformly.
      const at = NOW - (w + 1) * WEEK + Math.floor(random() * 7) * 86_400_000 + Math.floor((7 + random() * 16) * 60) * 60_000;
      const rate = Math.min(1, BASE_RATE * Math.exp((lift[cellOf(at)] ?? 0) + o.noise * gaussian(random)));
      const impressions = Math.max(o.impressionsMin, Math.round(o.impressionsMedian * Math.exp(o.impressionsLogSd * gaussian(random))));
      const engagements = o.countNoise ? Math.min(impressions, poisson(impressions * rate, random)) : Math.round(impressions * rate);
      out.push({ content_id: `p${w}_${k}`, platform, published_at: new Date(at).toISOString(), impressions, engagements });
    }
  }
  return out;
}

type Gain = 'exp' | 'linear';
type Ideal = 'same_rules' | 'unconstrained';
const METHODS = ['model', 'prior_only', 'fixed_slots', 'oracle'] as const;
type Method = (typeof METHODS)[number];

/** The candidate windows of the horizon and the local cells each covers (computed once). */
const candidates = localStarts(NOW, NOW + HORIZON_MS - DURATION * 60_000 + 1, ZONE).map((s) => s.startMs);
const candidateCells = candidates.map((s) => {
  const cells: number[] = [];
  for (let m = 0; m < DURATION; m += 30) cells.push(cellOf(s + m * 60_000));
  return cells;
});
const candidateIndex = new Map(candidates.map((s, i) => [s, i]));

/** Expected lift of a window: the planted lift averaged over the minutes it covers. */
function windowValues(lift: Float64Array): Float64Array {
  return Float64Array.from(candidateCells, (cells) => cells.reduce((a, c) => a + (lift[c] ?? 0), 0) / cells.length);
}

/** True value of the window starting at `start` (fixed slots like 09:20 are off the candidate grid). */
function valueOf(values: Float64Array, lift: Float64Array, start: number): number {
  const i = candidateIndex.get(start);
  if (i !== undefined) return values[i] ?? 0;
  let acc = 0;
  for (let m = 0; m < DURATION; m += 10) acc += lift[cellOf(start + m * 60_000)] ?? 0;
  return acc / (DURATION / 10);
}

/** The best 10 non-overlapping windows, days ignored. */
function unconstrainedIdeal(values: Float64Array): number[] {
  const order = candidates.map((s, i) => ({ s, v: values[i] ?? 0 })).sort((a, b) => b.v - a.v);
  const ideal: number[] = [];
  for (const c of order) {
    if (ideal.length === 10) break;
    if (ideal.every((s) => Math.abs(s - c.s) >= DURATION * 60_000)) ideal.push(c.s);
  }
  return ideal;
}

function dcg(values: Float64Array, lift: Float64Array, list: number[], kind: Gain): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const gain = (v: number): number => (kind === 'exp' ? 2 ** ((3 * (v - lo)) / (hi - lo)) - 1 : (v - lo) / (hi - lo));
  return list.slice(0, 10).reduce((a, s, i) => a + gain(valueOf(values, lift, s)) / Math.log2(i + 2), 0);
}

function fixedSlots(): number[] {
  const out: number[] = [];
  const day0 = Temporal.Instant.fromEpochMilliseconds(NOW).toZonedDateTimeISO(ZONE).toPlainDate();
  for (let d = 0; d < 7; d++) {
    for (const [h, m] of [[9, 20], [14, 10], [19, 0]] as const) {
      out.push(day0.add({ days: d }).toZonedDateTime({ timeZone: ZONE, plainTime: Temporal.PlainTime.from({ hour: h, minute: m }) }).epochMilliseconds);
    }
  }
  return out.slice(0, 10);
}
const FIXED = fixedSlots();

function baseInput(platform: Platform, h: HistoryObservation[]): RecommendInput {
  return { targetCount: 10, timezone: ZONE, start: new Date(NOW).toISOString(), end: new Date(NOW + HORIZON_MS).toISOString(), durationMinutes: DURATION, existing: [], now: NOW, platforms: [platform], history: h };
}

const starts = (input: RecommendInput, models?: Parameters<typeof selectWindows>[1]): number[] =>
  (models ? selectWindows(input, models) : recommend(input).data).map((r) => Date.parse(r.window_start));

/** Our picker fed the true pattern: the best list under the same rules. */
function oracleList(platform: Platform, lift: Float64Array): number[] {
  const truth = fitModel({ platform, timezone: ZONE, history: [], now: NOW });
  const lo = Math.min(...lift);
  const hi = Math.max(...lift);
  truth.grid = Float64Array.from(lift, (v) => (v - lo) / (hi - lo));
  return starts(baseInput(platform, []), [truth]);
}

type Scores = Record<Ideal, Record<Gain, Record<Method, number>>>;

function emptyScores(): Scores {
  const row = (): Record<Method, number> => ({ model: 0, prior_only: 0, fixed_slots: 0, oracle: 0 });
  return { same_rules: { exp: row(), linear: row() }, unconstrained: { exp: row(), linear: row() } };
}

/** Adds one account's NDCG of every method, under both ideals and both gains, to `into`. */
function scoreAccount(into: Scores, platform: Platform, lift: Float64Array, h: HistoryObservation[], priorOnly: number[]): void {
  const values = windowValues(lift);
  const oracle = oracleList(platform, lift);
  const lists: Record<Method, number[]> = { model: starts(baseInput(platform, h)), prior_only: priorOnly, fixed_slots: FIXED, oracle };
  const ideals: Record<Ideal, number[]> = { same_rules: oracle, unconstrained: unconstrainedIdeal(values) };
  for (const ideal of ['same_rules', 'unconstrained'] as const) {
    for (const kind of ['exp', 'linear'] as const) {
      const best = dcg(values, lift, ideals[ideal], kind);
      for (const m of METHODS) into[ideal][kind][m] += dcg(values, lift, lists[m], kind) / best;
    }
  }
}

function averaged(s: Scores, n: number): Scores {
  const r3 = (v: number): number => Math.round((v / n) * 1000) / 1000;
  const out = emptyScores();
  for (const ideal of ['same_rules', 'unconstrained'] as const) {
    for (const kind of ['exp', 'linear'] as const) for (const m of METHODS) out[ideal][kind][m] = r3(s[ideal][kind][m]);
  }
  return out;
}

const priorOnlyCache = new Map<Platform, number[]>();
function priorOnly(platform: Platform): number[] {
  let hit = priorOnlyCache.get(platform);
  if (!hit) priorOnlyCache.set(platform, (hit = starts(baseInput(platform, []))));
  return hit;
}

/** Realistic scenario at one history length: every platform, ACCOUNTS accounts each. */
function runPlatformScenario(weeks: number, ownPeakSize: number = PLATFORM_SCENARIO.ownPeakSize, noise: number = PLATFORM_SCENARIO.noise): { all: Scores; byPlatform: Record<string, Scores> } {
  const all = emptyScores();
  const byPlatform: Record<string, Scores> = {};
  for (const [pi, platform] of PLATFORMS.entries()) {
    const mine = emptyScores();
    for (let a = 0; a < ACCOUNTS; a++) {
      const random = rng(5000 + 1000 * pi + a);
      const lift = platformPattern(platform, random, ownPeakSize);
      const h = history(lift, weeks, random, platform, { ...PLATFORM_HISTORY, noise });
      scoreAccount(mine, platform, lift, h, priorOnly(platform));
    }
    for (const ideal of ['same_rules', 'unconstrained'] as const) {
      for (const kind of ['exp', 'linear'] as const) for (const m of METHODS) all[ideal][kind][m] += mine[ideal][kind][m];
    }
    byPlatform[platform] = averaged(mine, ACCOUNTS);
  }
  return { all: averaged(all, ACCOUNTS * PLATFORMS.length), byPlatform };
}

function runStressScenario(weeks: number, noise = STRESS_NOISE): Scores {
  const total = emptyScores();
  for (let a = 0; a < ACCOUNTS; a++) {
    const random = rng(1000 + a);
    const lift = stressPattern(random);
    const h = history(lift, weeks, random, 'tiktok', { ...STRESS_HISTORY, noise });
    scoreAccount(total, 'tiktok', lift, h, priorOnly('tiktok'));
  }
  return averaged(total, ACCOUNTS);
}

/** The headline line: exp gain, model / prior-only / fixed / oracle under both ideals. */
function line(s: Scores): string {
  const f = (i: Ideal): string => METHODS.map((m) => `${m} ${s[i].exp[m].toFixed(3)}`).join(', ');
  return `same rules: ${f('same_rules')} | unconstrained: ${f('unconstrained')}`;
}

export default async function bench(): Promise<Record<string, unknown>> {
  // Other work on this shared 2-core machine skews timings: the load average is reported with them.
  const loadBefore = os.loadavg().map((v) => Math.round(v * 100) / 100);

  const platformScenario: Record<string, unknown> = {};
  const platformByPlatform: Record<string, unknown> = {};
  for (const weeks of HISTORY_WEEKS) {
    const { all, byPlatform } = runPlatformScenario(weeks);
    platformScenario[`${weeks}_weeks`] = all;
    platformByPlatform[`${weeks}_weeks`] = Object.fromEntries(Object.entries(byPlatform).map(([p, s]) => [p, { same_rules_exp: s.same_rules.exp, unconstrained_exp: s.unconstrained.exp }]));
    process.stdout.write(`platform ${weeks} weeks: ${line(all)}\n`);
  }

  const stressScenario: Record<string, unknown> = {};
  for (const weeks of HISTORY_WEEKS) {
    const s = runStressScenario(weeks);
    stressScenario[`${weeks}_weeks`] = s;
    process.stdout.write(`stress ${weeks} weeks: ${line(s)}\n`);
  }

  // Where the 16-week target holds: own-peak size D × per-post noise σ (realistic scenario),
  // model NDCG (exp gain) under both ideals and prior-only beside it; the stress case by noise.
  const sensitivity: Record<string, { same_rules: number; unconstrained: number; prior_only_same_rules: number }> = {};
  for (const size of [0, 0.5, 1]) {
    for (const noise of [0.2, 0.35, 0.5]) {
      const { all } = runPlatformScenario(16, size, noise);
      sensitivity[`D_${size}_noise_${noise}`] = { same_rules: all.same_rules.exp.model, unconstrained: all.unconstrained.exp.model, prior_only_same_rules: all.same_rules.exp.prior_only };
    }
  }
  process.stdout.write(`platform 16 weeks by own-peak size D × noise σ: ${JSON.stringify(sensitivity)}\n`);
  const stressByNoise: Record<string, { same_rules: number; unconstrained: number }> = {};
  for (const noise of [0.2, 0.35, 0.5]) {
    const s = runStressScenario(16, noise);
    stressByNoise[`noise_${noise}`] = { same_rules: s.same_rules.exp.model, unconstrained: s.unconstrained.exp.model };
  }
  process.stdout.write(`stress 16 weeks by noise σ: ${JSON.stringify(stressByNoise)}\n`);

  // Latency: 4 platforms, 7 days, 16 weeks of history on each platform.
  const random = rng(7);
  const allHistory = PLATFORMS.flatMap((p) => history(platformPattern(p, random), 16, random, p, PLATFORM_HISTORY));
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    const started = performance.now();
    recommend({ ...baseInput('tiktok', allHistory), platforms: [...PLATFORMS], now: NOW + i * 60_000 });
    times.push(performance.now() - started);
  }
  const sorted = times.slice(10).sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.floor(q * (sorted.length - 1))] ?? 0) * 100) / 100;
  return {
    load_average_1_5_15: { before: loadBefore, after: os.loadavg().map((v) => Math.round(v * 100) / 100) },
    setup: {
      common: `${POSTS_PER_WEEK} posts/week in waking hours, ${ZONE}, 60-min windows every 30 min over 7 days; NDCG@10, rel = true window lift scaled 0..1, gain 2^(3·rel)−1 (exp, headline) or rel (linear); same_rules ideal = our picker fed the true pattern (day spread, non-overlap), unconstrained ideal = best 10 non-overlapping windows`,
      platform: `all 4 platforms × ${ACCOUNTS} accounts; true log-lift = a·${PLATFORM_SCENARIO.priorAmplitude}·(prior surface shifted by s − mean) + ${PLATFORM_SCENARIO.ownPeaks} own peaks (1.5 h wide, amplitude D·U(0.5,1), D = ${PLATFORM_SCENARIO.ownPeakSize}); a ~ U(${PLATFORM_SCENARIO.adherence.join(', ')}), s ~ U(±${PLATFORM_SCENARIO.shiftHours} h); per-post noise σ = ${PLATFORM_SCENARIO.noise}; impressions median ${PLATFORM_SCENARIO.impressionsMedian} (log σ ${PLATFORM_SCENARIO.impressionsLogSd}, min ${PLATFORM_SCENARIO.impressionsMin}), engagements Poisson`,
      stress: `tiktok × ${ACCOUNTS} accounts; 3 random peaks + night dip independent of the prior; per-post noise σ = ${STRESS_NOISE}; impressions median 2000 (log σ 0.5, min 50), engagements rounded`,
    },
    ndcg_at_10_platform: platformScenario,
    ndcg_at_10_platform_by_platform: platformByPlatform,
    ndcg_at_10_stress: stressScenario,
    ndcg_at_10_16_weeks_platform_by_own_peak_size_and_noise: sensitivity,
    ndcg_at_10_16_weeks_stress_by_noise: stressByNoise,
    latency_ms_4_platforms_7_days: { median: at(0.5), p90: at(0.9), runs: sorted.length, history_posts: allHistory.length },
  };
}
