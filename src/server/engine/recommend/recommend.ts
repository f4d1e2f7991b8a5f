/**
 * Recommendations: score every candidate window in the horizon from the fitted model, penalize
 * windows crowding the account's scheduled posts, then pick greedily so windows never overlap
 * and spread across local days. Every number in a reason is read from the model's features.
 */
import type { Platform, Recommendation } from '../../../shared/api';
import { Temporal, WEEKDAY_NAMES, localDaysBetween, localToInstant } from '../../../shared/time';
import type { CalendarItem, HeatmapInput, HeatmapOutput, RecommendInput, RecommendOutput } from '../types';
import { type EngagementModel, MODEL_VERSION, fitModels, fitPlatformModel } from './model';
import { PRIOR_SUMMARY } from './priors';
import { HOURS_PER_WEEK } from './surface';

export const PLATFORM_LABEL: Record<Platform, string> = {
  youtube: 'YouTube',
  tiktok: 'TikTok',
  instagram: 'Instagram',
  linkedin: 'LinkedIn',
};

/** Posts on one platform closer than this crowd each other's reach. */
export const RECOMMEND_SPACING_MINUTES: Record<Platform, number> = {
  youtube: 6 * 60,
  tiktok: 3 * 60,
  instagram: 3 * 60,
  linkedin: 8 * 60,
};

const STEP_MINUTES = 30;
/** Hours either side of a window that the reasons count as its neighbourhood. */
const NEARBY_HOURS = 2;
/** Below this β the account does not follow the industry prior enough to cite it. */
const PRIOR_CITED_SLOPE = 0.15;
const MINUTE = 60_000;

export interface Candidate {
  platform: Platform;
  startMs: number;
  endMs: number;
  dayIndex: number;
  /** Local weekday (0 = Monday) and minute of day of the window's start. */
  weekday: number;
  minuteOfDay: number;
  base: number;
  confidence: number;
  historyWeight: number;
  samples: number;
  logLift: number;
  liftPosts: number;
  /** Same-weekday posts within 2 h of the window (the hours the model pools with it). */
  nearbyPosts: number;
  nearbyLogLift: number;
  /** Local minutes of day bounding those neighbouring hours. */
  nearbyFrom: number;
  nearbyTo: number;
  priorLevel: number;
  /** How much this account follows the industry prior (the model's β). */
  priorSlope: number;
  /** The account's rhythm on its other platforms over the window (log-lift), and its weight γ. */
  audienceLift: number;
  audienceSlope: number;
  nearestExistingMs: number;
}

interface LocalStart {
  startMs: number;
  dayIndex: number;
  weekday: number;
  minuteOfDay: number;
}

/**
 * The local wall-clock starts on a STEP grid inside [start, end): a start inside a DST gap does
 * not exist and is skipped; a start in an overlap is resolved explicitly to the earlier instant,
 * so the repeated hour is offered once.
 */
export function localStarts(startMs: number, endMs: number, zone: string, stepMinutes = STEP_MINUTES): LocalStart[] {
  const out: LocalStart[] = [];
  if (endMs <= startMs) return out;
  const days = localDaysBetween(Temporal.Instant.fromEpochMilliseconds(startMs), Temporal.Instant.fromEpochMilliseconds(endMs), zone);
  days.forEach((day, dayIndex) => {
    const date = Temporal.PlainDate.from(day.date);
    const weekday = date.dayOfWeek - 1;
    const dayStart = day.start.epochMilliseconds;
    const regular = day.hours === 24 && day.end.epochMilliseconds - dayStart === 24 * 3600_000;
    for (let minute = 0; minute < 24 * 60; minute += stepMinutes) {
      let at: number;
      if (regular) {
        at = dayStart + minute * MINUTE;
      } else {
        const hh = String(Math.floor(minute / 60)).padStart(2, '0');
        const mm = String(minute % 60).padStart(2, '0');
        const resolved = localToInstant(`${day.date}T${hh}:${mm}`, zone, 'earlier');
        if (!resolved.instant) continue;
        at = resolved.instant.epochMilliseconds;
      }
      if (at < startMs || at >= endMs) continue;
      out.push({ startMs: at, dayIndex, weekday, minuteOfDay: minute });
    }
  });
  return out;
}

/** Cells (weekday*24+hour) a window covers on the local clock, with the share of time in each. */
function coveredCells(weekday: number, minuteOfDay: number, durationMinutes: number): Array<[number, number]> {
  const cells: Array<[number, number]> = [];
  let from = weekday * 24 * 60 + minuteOfDay;
  const to = from + durationMinutes;
  while (from < to) {
    const hourEnd = (Math.floor(from / 60) + 1) * 60;
    const until = Math.min(to, hourEnd);
    cells.push([Math.floor(from / 60) % HOURS_PER_WEEK, (until - from) / durationMinutes]);
    from = until;
  }
  return cells;
}

function nearestDistance(sorted: number[], at: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < at) lo = mid + 1;
    else hi = mid;
  }
  let best = Infinity;
  if (lo < sorted.length) best = Math.min(best, Math.abs((sorted[lo] ?? 0) - at));
  if (lo > 0) best = Math.min(best, Math.abs(at - (sorted[lo - 1] ?? 0)));
  return best;
}

const ACTIVE: ReadonlySet<CalendarItem['status']> = new Set(['scheduled', 'processing', 'published']);

export function scoreCandidates(
  model: EngagementModel,
  starts: LocalStart[],
  durationMinutes: number,
  existing: CalendarItem[],
): Candidate[] {
  const taken = existing
    .filter((item) => item.platform === model.platform && ACTIVE.has(item.status))
    .map((item) => Date.parse(item.scheduled_time))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const out: Candidate[] = [];
  for (const start of starts) {
    let base = 0;
    let confidence = 0;
    let historyWeight = 0;
    let priorLevel = 0;
    let samples = 0;
    let liftSum = 0;
    let audienceLift = 0;
    for (const [cell, share] of coveredCells(start.weekday, start.minuteOfDay, durationMinutes)) {
      base += share * (model.grid[cell] ?? 0);
      audienceLift += share * (model.audience[cell] ?? 0);
      confidence += share * (model.confidence[cell] ?? 0);
      historyWeight += share * (model.historyWeight[cell] ?? 0);
      priorLevel += share * (model.prior[cell] ?? 0);
      const posts = model.posts[cell] ?? 0;
      samples += posts;
      liftSum += posts * (model.meanLogLift[cell] ?? 0);
    }
    // Neighbouring hours on the same local day: the smooth part of the model pools them.
    const firstHour = Math.floor(start.minuteOfDay / 60);
    const lastHour = Math.min(23, Math.floor((start.minuteOfDay + durationMinutes - 1) / 60));
    const fromHour = Math.max(0, firstHour - NEARBY_HOURS);
    const toHour = Math.min(23, lastHour + NEARBY_HOURS);
    let nearbyPosts = 0;
    let nearbySum = 0;
    for (let hour = fromHour; hour <= toHour; hour++) {
      const cell = start.weekday * 24 + hour;
      const posts = model.posts[cell] ?? 0;
      nearbyPosts += posts;
      nearbySum += posts * (model.meanLogLift[cell] ?? 0);
    }
    out.push({
      platform: model.platform,
      startMs: start.startMs,
      endMs: start.startMs + durationMinutes * MINUTE,
      dayIndex: start.dayIndex,
      weekday: start.weekday,
      minuteOfDay: start.minuteOfDay,
      base,
      confidence,
      historyWeight,
      samples,
      logLift: samples > 0 ? liftSum / samples : 0,
      liftPosts: samples,
      nearbyPosts,
      nearbyLogLift: nearbyPosts > 0 ? nearbySum / nearbyPosts : 0,
      nearbyFrom: fromHour * 60,
      nearbyTo: (toHour + 1) * 60,
      priorLevel,
      priorSlope: model.priorSlope,
      audienceLift,
      audienceSlope: model.audienceSlope,
      nearestExistingMs: nearestDistance(taken, start.startMs),
    });
  }
  return out;
}

/** Multiplier for a window `distanceMs` from the nearest same-platform post. */
export function spacingFactor(distanceMs: number, spacingMinutes: number): number {
  if (distanceMs >= spacingMinutes * MINUTE) return 1;
  if (distanceMs < 15 * MINUTE) return 0;
  const ratio = distanceMs / (spacingMinutes * MINUTE);
  return 0.3 + 0.7 * ratio * ratio;
}

function hhmm(minuteOfDay: number): string {
  const m = ((minuteOfDay % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function hoursText(minutes: number): string {
  const h = minutes / 60;
  return Number.isInteger(h) ? `${h} h` : `${h.toFixed(1)} h`;
}

export function reasonsFor(candidate: Candidate, durationMinutes: number, spacingMinutes: number, sameDayPicks: number): string[] {
  const reasons: string[] = [];
  const label = PLATFORM_LABEL[candidate.platform];
  const day = `${WEEKDAY_NAMES[candidate.weekday] ?? ''}s`;
  const liftText = (logLift: number): string => {
    const pct = Math.round((Math.exp(logLift) - 1) * 100);
    return pct === 0 ? 'about' : pct > 0 ? `${pct}% above` : `${-pct}% below`;
  };
  if (candidate.liftPosts >= 3) {
    const span = `${hhmm(candidate.minuteOfDay)}–${hhmm(candidate.minuteOfDay + durationMinutes)}`;
    reasons.push(`${day} ${span} earned ${liftText(candidate.logLift)} your median over ${candidate.liftPosts} posts`);
  } else if (candidate.nearbyPosts >= 3) {
    const span = `${hhmm(candidate.nearbyFrom)}–${hhmm(candidate.nearbyTo)}`;
    const few = candidate.liftPosts === 0 ? 'none in the window itself' : `${candidate.liftPosts} in the window itself`;
    reasons.push(`${day} ${span} earned ${liftText(candidate.nearbyLogLift)} your median over ${candidate.nearbyPosts} posts (${few}; neighbouring hours are pooled)`);
  } else if (candidate.liftPosts > 0) {
    reasons.push(`Only ${candidate.liftPosts} of your past ${label} posts fall in this hour, so neighbouring hours and industry data carry more weight`);
  }
  if (candidate.audienceSlope >= PRIOR_CITED_SLOPE && Math.abs(candidate.audienceLift) >= Math.log(1.1)) {
    const carried = Math.round(candidate.audienceSlope * 100);
    reasons.push(`On your other platforms this hour runs ${liftText(candidate.audienceLift)} their median (model estimate); the model carries ${carried}% of that rhythm over to ${label}`);
  }
  if (candidate.priorSlope >= PRIOR_CITED_SLOPE) {
    if (candidate.priorLevel >= 0.6) reasons.push(PRIOR_SUMMARY[candidate.platform]);
    else if (candidate.historyWeight < 0.3 && candidate.priorLevel >= 0.4) {
      reasons.push(`${label} engagement is near its weekly average at this hour (industry data)`);
    }
  }
  if (candidate.nearestExistingMs >= spacingMinutes * MINUTE) {
    reasons.push(`No other ${label} post within ${hoursText(spacingMinutes)}`);
  } else {
    reasons.push(
      `Your nearest ${label} post is ${hoursText(Math.round(candidate.nearestExistingMs / MINUTE / 15) * 15)} away, so this window is scored down`,
    );
  }
  if (sameDayPicks === 0) reasons.push('First suggestion on this day, spreading your posts across the week');
  return reasons;
}

/**
 * Basis: how much of the window's estimate history decided (the model's history weight), and how
 * many posts it mostly drew on (same weekday, the window's hours ± 2 h).
 */
function basisOf(candidate: Candidate): Recommendation['basis'] {
  // "history" needs posts of its own near the window, not only well-measured hours farther away.
  const kind = candidate.historyWeight < 0.1 ? 'prior' : candidate.historyWeight >= 0.7 && candidate.nearbyPosts > 0 ? 'history' : 'blend';
  return { kind, sample_size: candidate.nearbyPosts };
}

export function recommend(input: RecommendInput): RecommendOutput {
  const models = fitModels(input.platforms, input.timezone, input.history, input.now);
  return { data: selectWindows(input, models), modelVersion: MODEL_VERSION };
}

/** Scores every candidate window of every model's platform and picks the list (see the file comment). */
export function selectWindows(input: RecommendInput, models: EngagementModel[]): Recommendation[] {
  const startMs = Math.max(Date.parse(input.start), input.now);
  const endMs = Date.parse(input.end);
  const duration = input.durationMinutes;
  const starts = localStarts(startMs, endMs - duration * MINUTE + 1, input.timezone).filter(
    (s) => s.startMs + duration * MINUTE <= endMs,
  );
  const pool: Candidate[] = [];
  for (const model of models) {
    const platform = model.platform;
    for (const c of scoreCandidates(model, starts, duration, input.existing)) {
      const f = spacingFactor(c.nearestExistingMs, RECOMMEND_SPACING_MINUTES[platform]);
      if (f > 0) pool.push(c);
    }
  }

  const picked: Candidate[] = [];
  const perDay = new Map<string, number>();
  const alive = new Uint8Array(pool.length).fill(1);
  const data: Recommendation[] = [];
  while (picked.length < input.targetCount) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      if (!alive[i]) continue;
      const c = pool[i] as Candidate;
      const spacing = RECOMMEND_SPACING_MINUTES[c.platform];
      // Spacing is measured against the calendar's posts; the list itself is spread by day.
      const nearest = c.nearestExistingMs;
      const sameDay = perDay.get(`${c.platform}:${c.dayIndex}`) ?? 0;
      const otherDay = perDay.get(`*:${c.dayIndex}`) ?? 0;
      const score = c.base * spacingFactor(nearest, spacing) / (1 + 0.35 * sameDay + 0.1 * (otherDay - sameDay));
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0 || bestScore <= 0) break;
    const chosen = pool[best] as Candidate;
    alive[best] = 0;
    // Windows never overlap, whatever their platform.
    for (let i = 0; i < pool.length; i++) {
      const c = pool[i] as Candidate;
      if (alive[i] && c.startMs < chosen.endMs && chosen.startMs < c.endMs) alive[i] = 0;
    }
    const dayKey = `${chosen.platform}:${chosen.dayIndex}`;
    const sameDayBefore = perDay.get(dayKey) ?? 0;
    perDay.set(dayKey, sameDayBefore + 1);
    perDay.set(`*:${chosen.dayIndex}`, (perDay.get(`*:${chosen.dayIndex}`) ?? 0) + 1);
    picked.push(chosen);
    data.push({
      id: `rec_${chosen.platform}_${Math.floor(chosen.startMs / 1000)}`,
      platform: chosen.platform,
      window_start: Temporal.Instant.fromEpochMilliseconds(chosen.startMs).toString(),
      window_end: Temporal.Instant.fromEpochMilliseconds(chosen.endMs).toString(),
      score: round3(Math.min(1, Math.max(0, bestScore))),
      confidence: round3(Math.min(1, Math.max(0, chosen.confidence))),
      reasons: reasonsFor(chosen, duration, RECOMMEND_SPACING_MINUTES[chosen.platform], sameDayBefore),
      basis: basisOf(chosen),
    });
  }
  return data;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function heatmap(input: HeatmapInput): HeatmapOutput {
  const model = fitPlatformModel(input.platform, input.timezone, input.history, input.now);
  const grid = Array.from({ length: 7 }, (_, day) =>
    Array.from({ length: 24 }, (_, hour) => round3(Math.min(1, Math.max(0, model.grid[day * 24 + hour] ?? 0)))),
  );
  let weight = 0;
  for (const h of model.historyWeight) weight += h;
  weight /= HOURS_PER_WEEK;
  const kind = model.totalPosts === 0 ? 'prior' : weight >= 0.7 ? 'history' : 'blend';
  return {
    platform: input.platform,
    timezone: input.timezone,
    grid,
    basis: { kind, sample_size: model.totalPosts },
    model_version: MODEL_VERSION,
  };
}
