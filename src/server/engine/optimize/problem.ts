/**
 * Turns an optimize request into independent sub-problems: per channel, the movable items with
 * their pruned candidate times (max shift, earliest/latest, blackouts, fixed neighbours, days
 * already full), split further into components that cannot interact.
 */
import type { Constraints, Platform, Violation } from '../../../shared/api';
import type { CalendarItem, OptimizeInput } from '../types';
import { fitModels } from '../recommend/model';
import { LocalClock, scoreAt } from './clock';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Objective: model score minus this much per hour moved … */
export const SHIFT_PENALTY_PER_HOUR = 0.004;
/** … minus this much for moving at all, so ties keep the current time. */
export const MOVE_PENALTY = 0.002;
export const DEFAULT_SPACING_MINUTES = 60;
export const DEFAULT_MAX_SHIFT_MINUTES = 7 * 24 * 60;

export interface MovableItem {
  item: CalendarItem;
  channel: string;
  cur: number;
  /** Candidate instants, ascending. */
  times: Float64Array;
  /** Objective contribution of each candidate (score − shift penalty). */
  values: Float64Array;
  /** Local day key of each candidate. */
  days: Int32Array;
  /** Index of the current time among the candidates, or −1 when it is not allowed. */
  stay: number;
}

export interface Group {
  channel: string;
  spacingMs: number;
  items: MovableItem[];
  /** Remaining daily capacity after fixed items, per local day key (absent = the full cap). */
  capLeft: Map<number, number>;
  cap: number;
}

export interface Infeasibility {
  constraint: string;
  message: string;
  item_ids: string[];
}

export interface Problem {
  groups: Group[];
  movable: MovableItem[];
  fixed: CalendarItem[];
  clock: LocalClock;
  grids: Map<Platform, Float64Array>;
  violations: Violation[];
  infeasible?: Infeasibility;
  spacingMs: number;
  cap: number;
}

interface Interval {
  start: number;
  end: number;
}

function mergeIntervals(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv.start <= last.end) last.end = Math.max(last.end, iv.end);
    else out.push({ ...iv });
  }
  return out;
}

export function channelOf(item: CalendarItem): string {
  return item.channel || item.platform;
}

export function scoreOf(problem: Pick<Problem, 'grids' | 'clock'>, platform: Platform, at: number): number {
  const grid = problem.grids.get(platform);
  return grid ? scoreAt(grid, problem.clock, at) : 0;
}

export function itemValue(score: number, cur: number, at: number): number {
  if (at === cur) return score;
  return score - MOVE_PENALTY - (SHIFT_PENALTY_PER_HOUR * Math.abs(at - cur)) / HOUR;
}

function fmtMinutes(ms: number): string {
  const minutes = Math.round(ms / MINUTE);
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

export function buildProblem(input: OptimizeInput): Problem {
  const c: Constraints = input.constraints;
  const slotMs = (input.slotMinutes ?? 15) * MINUTE;
  const spacingMs = (c.min_spacing_minutes ?? DEFAULT_SPACING_MINUTES) * MINUTE;
  const cap = c.max_per_day ?? Number.POSITIVE_INFINITY;
  const shiftMs = (c.max_shift_minutes ?? DEFAULT_MAX_SHIFT_MINUTES) * MINUTE;
  const earliest = c.earliest ? Date.parse(c.earliest) : Number.NEGATIVE_INFINITY;
  const latest = c.latest ? Date.parse(c.latest) : Number.POSITIVE_INFINITY;
  const locked = new Set(c.locked_content_ids ?? []);
  const clock = new LocalClock(input.timezone);

  const platforms = new Set<Platform>(input.items.map((i) => i.platform));
  const grids = new Map<Platform, Float64Array>();
  for (const model of fitModels([...platforms], input.timezone, input.history, input.now)) grids.set(model.platform, model.grid);

  const blackouts = new Map<Platform, Interval[]>();
  for (const p of platforms) {
    blackouts.set(
      p,
      mergeIntervals(
        (c.blackout ?? [])
          .filter((b) => !b.platforms || b.platforms.length === 0 || b.platforms.includes(p))
          .map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) })),
      ),
    );
  }

  const active = input.items.filter((i) => i.status === 'scheduled' || i.status === 'processing' || i.status === 'published');
  const fixed: CalendarItem[] = [];
  const movableItems: CalendarItem[] = [];
  for (const item of active) {
    const at = Date.parse(item.scheduled_time);
    if (item.status === 'scheduled' && !locked.has(item.content_id) && at > input.now) movableItems.push(item);
    else fixed.push(item);
  }

  // One dense local-time table over the whole horizon the candidates can reach.
  {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const item of active) {
      const at = Date.parse(item.scheduled_time);
      lo = Math.min(lo, at - shiftMs);
      hi = Math.max(hi, at + shiftMs);
    }
    clock.prepare(Math.max(lo, Math.min(earliest, input.now) - 1), Math.min(hi, Math.max(latest, input.now) + 1));
  }

  const violations = findViolations(active, {
    spacingMs,
    cap,
    earliest,
    latest,
    blackouts,
    clock,
  });

  const fixedByChannel = new Map<string, number[]>();
  const fixedDays = new Map<string, Map<number, number>>();
  for (const item of fixed) {
    const ch = channelOf(item);
    const at = Date.parse(item.scheduled_time);
    const list = fixedByChannel.get(ch) ?? [];
    list.push(at);
    fixedByChannel.set(ch, list);
    const days = fixedDays.get(ch) ?? new Map<number, number>();
    const d = clock.day(at);
    days.set(d, (days.get(d) ?? 0) + 1);
    fixedDays.set(ch, days);
  }
  for (const list of fixedByChannel.values()) list.sort((a, b) => a - b);

  const movable: MovableItem[] = [];
  let infeasible: Infeasibility | undefined;
  const nowFloor = input.now;
  for (const item of movableItems) {
    const ch = channelOf(item);
    const cur = Date.parse(item.scheduled_time);
    const lo = Math.max(cur - shiftMs, earliest, nowFloor);
    const hi = Math.min(cur + shiftMs, latest);
    const fixedTimes = fixedByChannel.get(ch) ?? [];
    const fixedDay = fixedDays.get(ch);
    const bl = blackouts.get(item.platform) ?? [];
    const times: number[] = [];
    let inWindow = 0;
    let afterBlackout = 0;
    let afterSpacing = 0;
    const consider = (t: number): void => {
      inWindow++;
      for (const b of bl) if (t >= b.start && t < b.end) return;
      afterBlackout++;
      for (const f of fixedTimes) if (Math.abs(f - t) < spacingMs) return;
      afterSpacing++;
      if (fixedDay && (fixedDay.get(clock.day(t)) ?? 0) >= cap) return;
      times.push(t);
    };
    // Walk the grid with pointers into the (sorted) blackouts and fixed times.
    let bi = 0;
    let fi = 0;
    for (let t = Math.ceil(lo / slotMs) * slotMs; t <= hi; t += slotMs) {
      inWindow++;
      while (bi < bl.length && (bl[bi] as Interval).end <= t) bi++;
      const b = bl[bi];
      if (b && t >= b.start) {
        // Jump to the end of the blackout.
        continue;
      }
      afterBlackout++;
      while (fi < fixedTimes.length && (fixedTimes[fi] as number) <= t - spacingMs) fi++;
      const f = fixedTimes[fi];
      if (f !== undefined && Math.abs(f - t) < spacingMs) continue;
      afterSpacing++;
      if (fixedDay && (fixedDay.get(clock.day(t)) ?? 0) >= cap) continue;
      times.push(t);
    }
    if (cur >= lo && cur <= hi && cur % slotMs !== 0) consider(cur);
    times.sort((a, b) => a - b);
    if (times.length === 0) {
      infeasible ??= diagnose(item, { cur, lo, hi, inWindow, afterBlackout, afterSpacing, c, earliest, latest, now: input.now });
      continue;
    }
    const values = new Float64Array(times.length);
    const days = new Int32Array(times.length);
    let stay = -1;
    const grid = grids.get(item.platform) as Float64Array;
    for (let k = 0; k < times.length; k++) {
      const t = times[k] as number;
      values[k] = itemValue(scoreAt(grid, clock, t), cur, t);
      days[k] = clock.day(t);
      if (t === cur) stay = k;
    }
    movable.push({ item, channel: ch, cur, times: Float64Array.from(times), values, days, stay });
  }

  const groups = infeasible ? [] : splitGroups(movable, spacingMs, cap, fixedDays);
  const problem: Problem = { groups, movable, fixed, clock, grids, violations, spacingMs, cap };
  if (infeasible) problem.infeasible = infeasible;
  return problem;
}

function diagnose(
  item: CalendarItem,
  d: {
    cur: number;
    lo: number;
    hi: number;
    inWindow: number;
    afterBlackout: number;
    afterSpacing: number;
    c: Constraints;
    earliest: number;
    latest: number;
    now: number;
  },
): Infeasibility {
  const ids = [item.id];
  const lower = Math.max(d.earliest, d.now);
  if (lower > d.latest) {
    return {
      constraint: 'latest',
      message: d.latest < d.now ? 'latest is in the past: no time is left to schedule into' : 'earliest is after latest',
      item_ids: ids,
    };
  }
  if (d.lo > d.hi || d.inWindow === 0) {
    return {
      constraint: 'max_shift_minutes',
      message: `item ${item.id} cannot reach [earliest, latest] within max_shift_minutes=${d.c.max_shift_minutes ?? DEFAULT_MAX_SHIFT_MINUTES}`,
      item_ids: ids,
    };
  }
  if (d.afterBlackout === 0) {
    return {
      constraint: 'blackout',
      message: `every allowed time for item ${item.id} falls inside a blackout window`,
      item_ids: ids,
    };
  }
  if (d.afterSpacing === 0) {
    return {
      constraint: 'min_spacing_minutes',
      message: `every allowed time for item ${item.id} is within ${d.c.min_spacing_minutes ?? DEFAULT_SPACING_MINUTES} minutes of a locked or published item on its channel`,
      item_ids: ids,
    };
  }
  return {
    constraint: 'max_per_day',
    message: `every allowed day for item ${item.id} already holds max_per_day=${d.c.max_per_day ?? 0} locked or published items on its channel`,
    item_ids: ids,
  };
}

function splitGroups(
  movable: MovableItem[],
  spacingMs: number,
  cap: number,
  fixedDays: Map<string, Map<number, number>>,
): Group[] {
  const byChannel = new Map<string, MovableItem[]>();
  for (const m of movable) {
    const list = byChannel.get(m.channel) ?? [];
    list.push(m);
    byChannel.set(m.channel, list);
  }
  // Items whose candidate ranges are further apart than the spacing and a (25 h) local day
  // share no constraint, so they are solved separately.
  const reach = Math.max(spacingMs, 25 * HOUR);
  const groups: Group[] = [];
  for (const [channel, list] of byChannel) {
    list.sort((a, b) => (a.times[0] ?? 0) - (b.times[0] ?? 0));
    let current: MovableItem[] = [];
    let end = Number.NEGATIVE_INFINITY;
    const flush = (): void => {
      if (current.length === 0) return;
      const capLeft = new Map<number, number>();
      const fd = fixedDays.get(channel);
      if (fd && Number.isFinite(cap)) for (const [day, n] of fd) capLeft.set(day, Math.max(0, cap - n));
      groups.push({ channel, spacingMs, items: current, capLeft, cap });
      current = [];
    };
    for (const m of list) {
      const first = m.times[0] ?? 0;
      const last = m.times[m.times.length - 1] ?? 0;
      if (current.length > 0 && first - end >= reach) flush();
      current.push(m);
      end = Math.max(end, last);
    }
    flush();
  }
  return groups;
}

interface ViolationContext {
  spacingMs: number;
  cap: number;
  earliest: number;
  latest: number;
  blackouts: Map<Platform, Interval[]>;
  clock: LocalClock;
}

/** The constraints the current schedule already breaks. */
export function findViolations(items: CalendarItem[], ctx: ViolationContext): Violation[] {
  const out: Violation[] = [];
  const byChannel = new Map<string, Array<{ id: string; at: number }>>();
  for (const item of items) {
    const at = Date.parse(item.scheduled_time);
    const list = byChannel.get(channelOf(item)) ?? [];
    list.push({ id: item.id, at });
    byChannel.set(channelOf(item), list);
    if (item.status !== 'scheduled') continue;
    if (at < ctx.earliest) out.push({ constraint: 'earliest', item_ids: [item.id], message: `item ${item.id} is before earliest` });
    if (at > ctx.latest) out.push({ constraint: 'latest', item_ids: [item.id], message: `item ${item.id} is after latest` });
    for (const b of ctx.blackouts.get(item.platform) ?? []) {
      if (at >= b.start && at < b.end) {
        out.push({ constraint: 'blackout', item_ids: [item.id], message: `item ${item.id} is inside a blackout window` });
        break;
      }
    }
  }
  for (const [channel, list] of byChannel) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as { id: string; at: number };
      const b = list[i] as { id: string; at: number };
      if (b.at - a.at < ctx.spacingMs) {
        out.push({
          constraint: 'min_spacing_minutes',
          item_ids: [a.id, b.id],
          message: `items ${a.id} and ${b.id} on ${channel} are ${fmtMinutes(b.at - a.at)} apart (minimum ${fmtMinutes(ctx.spacingMs)})`,
        });
      }
    }
    if (Number.isFinite(ctx.cap)) {
      const perDay = new Map<number, string[]>();
      for (const x of list) {
        const d = ctx.clock.day(x.at);
        const ids = perDay.get(d) ?? [];
        ids.push(x.id);
        perDay.set(d, ids);
      }
      for (const [day, ids] of perDay) {
        if (ids.length > ctx.cap) {
          const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
          out.push({
            constraint: 'max_per_day',
            item_ids: ids,
            message: `${ids.length} items on ${channel} on ${date} (local), maximum ${ctx.cap}`,
          });
        }
      }
    }
  }
  return out;
}
