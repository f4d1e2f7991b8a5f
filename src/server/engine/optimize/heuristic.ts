/**
 * Greedy construction + local search for one group (one channel's interacting items):
 * relocate (move one item to its best feasible time), swap (exchange two items' times) and
 * ejection chains (take a blocked time by moving the one item in the way elsewhere).
 * Feasibility is checked exactly: spacing against every other placed item and the remaining
 * daily capacity per local day.
 */
import type { Group } from './problem';

const EPS = 1e-9;

export interface GroupSolution {
  /** Chosen candidate index per item of the group (−1 = could not place). */
  assign: Int32Array;
  value: number;
  complete: boolean;
}

export class GroupState {
  readonly assign: Int32Array;
  /** Placed times ascending, and the group item index at each. */
  private occTimes: number[] = [];
  private occItems: number[] = [];
  private readonly dayCount = new Map<number, number>();

  constructor(readonly group: Group) {
    this.assign = new Int32Array(group.items.length).fill(-1);
  }

  capLeft(day: number): number {
    return this.group.capLeft.get(day) ?? this.group.cap;
  }

  timeOf(i: number): number {
    const k = this.assign[i] ?? -1;
    return k < 0 ? Number.NaN : ((this.group.items[i]?.times[k]) ?? Number.NaN);
  }

  value(): number {
    let v = 0;
    this.group.items.forEach((m, i) => {
      const k = this.assign[i] ?? -1;
      if (k >= 0) v += m.values[k] ?? 0;
    });
    return v;
  }

  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.occTimes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.occTimes[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Group items (other than `except`) placed strictly within the spacing of `t`. */
  blockers(t: number, except: number): number[] {
    const s = this.group.spacingMs;
    const out: number[] = [];
    if (s <= 0) return out;
    for (let p = this.lowerBound(t - s + 1); p < this.occTimes.length && (this.occTimes[p] as number) < t + s; p++) {
      const j = this.occItems[p] as number;
      if (j !== except) out.push(j);
    }
    return out;
  }

  spacingFree(t: number, except: number): boolean {
    const s = this.group.spacingMs;
    if (s <= 0) return true;
    for (let p = this.lowerBound(t - s + 1); p < this.occTimes.length && (this.occTimes[p] as number) < t + s; p++) {
      if (this.occItems[p] !== except) return false;
    }
    return true;
  }

  dayFree(i: number, day: number): boolean {
    const k = this.assign[i] ?? -1;
    const own = k >= 0 && this.group.items[i]?.days[k] === day ? 1 : 0;
    return (this.dayCount.get(day) ?? 0) - own < this.capLeft(day);
  }

  feasible(i: number, k: number): boolean {
    const m = this.group.items[i];
    if (!m) return false;
    return this.dayFree(i, m.days[k] as number) && this.spacingFree(m.times[k] as number, i);
  }

  place(i: number, k: number): void {
    const m = this.group.items[i];
    if (!m) return;
    this.remove(i);
    const t = m.times[k] as number;
    const p = this.lowerBound(t);
    this.occTimes.splice(p, 0, t);
    this.occItems.splice(p, 0, i);
    const d = m.days[k] as number;
    this.dayCount.set(d, (this.dayCount.get(d) ?? 0) + 1);
    this.assign[i] = k;
  }

  remove(i: number): void {
    const k = this.assign[i] ?? -1;
    if (k < 0) return;
    const m = this.group.items[i];
    if (!m) return;
    const t = m.times[k] as number;
    let p = this.lowerBound(t);
    while (p < this.occTimes.length && this.occItems[p] !== i) p++;
    this.occTimes.splice(p, 1);
    this.occItems.splice(p, 1);
    const d = m.days[k] as number;
    this.dayCount.set(d, (this.dayCount.get(d) ?? 0) - 1);
    this.assign[i] = -1;
  }

  itemsOnDay(day: number): number[] {
    const out: number[] = [];
    this.group.items.forEach((m, i) => {
      const k = this.assign[i] ?? -1;
      if (k >= 0 && m.days[k] === day) out.push(i);
    });
    return out;
  }

  /** Best feasible candidate for item i given everyone else, or −1. */
  bestFeasible(i: number): number {
    const m = this.group.items[i];
    if (!m) return -1;
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < m.times.length; k++) {
      const v = m.values[k] as number;
      if (v <= bestValue) continue;
      if (this.feasible(i, k)) {
        best = k;
        bestValue = v;
      }
    }
    return best;
  }
}

function candidateIndex(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo < times.length && times[lo] === t ? lo : -1;
}

/**
 * Ejection chain: put item i at candidate k by lifting the items in the way (its spacing
 * neighbours, and one item of the day when the day is full) and re-placing each of them at its
 * best remaining time. Commits only when every lifted item finds a place and `accept` holds.
 */
function ejectInto(state: GroupState, i: number, k: number, accept: (gain: number) => boolean): boolean {
  const m = state.group.items[i];
  if (!m) return false;
  const t = m.times[k] as number;
  const day = m.days[k] as number;
  const spacingBlock = state.blockers(t, i);
  if (spacingBlock.length > 2) return false;
  const dayOptions: Array<number | null> = [null];
  const oldI = state.assign[i] ?? -1;
  if (oldI >= 0 && m.days[oldI] === day) {
    // Moving within the day frees its own place.
  } else {
    const onDay = state.itemsOnDay(day).filter((j) => j !== i && !spacingBlock.includes(j));
    const dayCount = onDay.length + spacingBlock.filter((j) => state.group.items[j]?.days[state.assign[j] ?? -1] === day).length;
    if (dayCount >= state.capLeft(day)) {
      const freedBySpacing = spacingBlock.some((j) => state.group.items[j]?.days[state.assign[j] ?? -1] === day);
      if (!freedBySpacing) {
        dayOptions.length = 0;
        dayOptions.push(...onDay);
      }
    }
  }
  if (spacingBlock.length === 0 && dayOptions.length === 1 && dayOptions[0] === null) return false;
  for (const extra of dayOptions) {
    const victims = extra === null ? [...spacingBlock] : [...spacingBlock, extra];
    const old = victims.map((j) => state.assign[j] ?? -1);
    if (old.some((o) => o < 0)) continue;
    const before = (oldI >= 0 ? (m.values[oldI] as number) : 0) + victims.reduce((a, j, v) => a + (state.group.items[j]?.values[old[v] as number] ?? 0), 0);
    state.remove(i);
    for (const j of victims) state.remove(j);
    let ok = state.feasible(i, k);
    let after = 0;
    const placed: number[] = [];
    if (ok) {
      state.place(i, k);
      after += m.values[k] as number;
      for (const j of victims) {
        const alt = state.bestFeasible(j);
        if (alt < 0) {
          ok = false;
          break;
        }
        state.place(j, alt);
        placed.push(j);
        after += state.group.items[j]?.values[alt] ?? 0;
      }
    }
    if (ok && accept(after - before)) return true;
    for (const j of placed) state.remove(j);
    state.remove(i);
    victims.forEach((j, v) => state.place(j, old[v] as number));
    if (oldI >= 0) state.place(i, oldI);
  }
  return false;
}

export interface HeuristicOptions {
  deadline: number;
  /** LP values per column (x[i,k] at offsets[i] + k): items and candidates are tried in their order. */
  guide?: Float64Array;
  offsets?: Int32Array;
  /** How many of an item's better candidates an ejection chain tries. */
  ejectionWidth?: number;
}

export function solveGroupHeuristic(group: Group, options: HeuristicOptions): GroupSolution {
  const state = new GroupState(group);
  const n = group.items.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const maxValue = group.items.map((m) => m.values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY));
  order.sort((a, b) => (group.items[a]?.times.length ?? 0) - (group.items[b]?.times.length ?? 0) || (maxValue[b] ?? 0) - (maxValue[a] ?? 0));

  const unplaced: number[] = [];
  const guide = options.guide;
  const offsets = options.offsets;
  if (guide && offsets) {
    // LP rounding: the most decided items first, each at its highest-x feasible candidate.
    const x = (i: number, k: number): number => guide[(offsets[i] as number) + k] ?? 0;
    const maxX = group.items.map((m, i) => {
      let best = 0;
      for (let k = 0; k < m.times.length; k++) best = Math.max(best, x(i, k));
      return best;
    });
    order.sort((a, b) => (maxX[b] ?? 0) - (maxX[a] ?? 0));
    for (const i of order) {
      const m = group.items[i] as Group['items'][number];
      let best = -1;
      let bestKey = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < m.times.length; k++) {
        const key = x(i, k) * 1000 + (m.values[k] as number);
        if (key > bestKey && state.feasible(i, k)) {
          best = k;
          bestKey = key;
        }
      }
      if (best >= 0) state.place(i, best);
      else unplaced.push(i);
    }
  } else {
    for (const i of order) {
      const k = state.bestFeasible(i);
      if (k >= 0) state.place(i, k);
      else unplaced.push(i);
    }
  }
  // Items nobody could place: make room by moving one neighbour, whatever it costs.
  for (const i of unplaced) {
    const m = group.items[i];
    if (!m) continue;
    const ks = Array.from({ length: m.times.length }, (_, k) => k).sort((a, b) => (m.values[b] as number) - (m.values[a] as number));
    for (const k of ks) {
      if (state.feasible(i, k)) {
        state.place(i, k);
        break;
      }
      if (ejectInto(state, i, k, () => true)) break;
      if (Date.now() > options.deadline) break;
    }
  }

  const width = options.ejectionWidth ?? 60;
  let improved = true;
  while (improved && Date.now() < options.deadline) {
    improved = false;
    // Relocate.
    for (let i = 0; i < n && Date.now() < options.deadline; i++) {
      const cur = state.assign[i] ?? -1;
      if (cur < 0) continue;
      const m = group.items[i] as Group['items'][number];
      const k = state.bestFeasible(i);
      if (k >= 0 && (m.values[k] as number) > (m.values[cur] as number) + EPS) {
        state.place(i, k);
        improved = true;
      }
    }
    // Swap: exchanging two placed times keeps the occupied set, so only candidacy matters.
    for (let i = 0; i < n && Date.now() < options.deadline; i++) {
      const ki = state.assign[i] ?? -1;
      if (ki < 0) continue;
      const mi = group.items[i] as Group['items'][number];
      for (let j = i + 1; j < n; j++) {
        const kj = state.assign[j] ?? -1;
        if (kj < 0) continue;
        const mj = group.items[j] as Group['items'][number];
        const ti = mi.times[ki] as number;
        const tj = mj.times[kj] as number;
        const ai = candidateIndex(mi.times, tj);
        if (ai < 0) continue;
        const aj = candidateIndex(mj.times, ti);
        if (aj < 0) continue;
        const gain = (mi.values[ai] as number) + (mj.values[aj] as number) - (mi.values[ki] as number) - (mj.values[kj] as number);
        if (gain > EPS) {
          state.remove(i);
          state.remove(j);
          state.place(i, ai);
          state.place(j, aj);
          improved = true;
          break;
        }
      }
    }
    // Ejection chains toward each item's better times.
    for (let i = 0; i < n && Date.now() < options.deadline; i++) {
      const cur = state.assign[i] ?? -1;
      if (cur < 0) continue;
      const m = group.items[i] as Group['items'][number];
      const base = m.values[cur] as number;
      const better: number[] = [];
      for (let k = 0; k < m.times.length; k++) if ((m.values[k] as number) > base + EPS) better.push(k);
      better.sort((a, b) => (m.values[b] as number) - (m.values[a] as number));
      for (const k of better.slice(0, width)) {
        if (ejectInto(state, i, k, (gain) => gain > EPS)) {
          improved = true;
          break;
        }
      }
    }
  }
  let complete = true;
  for (const k of state.assign) if (k < 0) complete = false;
  return { assign: Int32Array.from(state.assign), value: state.value(), complete };
}

/** Checks an assignment against the group's constraints (used on every solver's answer). */
export function checkGroupAssignment(group: Group, assign: Int32Array): boolean {
  const state = new GroupState(group);
  for (let i = 0; i < group.items.length; i++) {
    const k = assign[i] ?? -1;
    if (k < 0) return false;
    if (!state.feasible(i, k)) return false;
    state.place(i, k);
  }
  return true;
}
