/**
 * The time-indexed model of one group, as plain typed arrays for a HiGHS worker:
 * x[i,k] ∈ {0,1} = item i at its candidate k, y[t] = Σ x at time t; maximize Σ value·x s.t.
 *  - assignment: Σ_k x[i,k] = 1;
 *  - spacing: for every maximal window [τ, τ + spacing), Σ y ≤ 1 (interval-graph cliques);
 *  - daily cap: Σ y on a local day ≤ the capacity the fixed items leave.
 */
import type { Group } from './problem';
import { maximalSpacingWindows } from './spacing-windows';

export interface MilpModel {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export interface BuiltModel {
  model: MilpModel;
  /** First column of each item. */
  offsets: Int32Array;
}

export interface BuildOptions {
  spacing?: boolean;
  caps?: boolean;
}

/** A growable pair of index/value buffers (typed, so 10k-item builds do not churn the GC). */
class RowBuffer {
  indices = new Int32Array(1024);
  values = new Float64Array(1024);
  length = 0;
  starts: number[] = [0];
  lower: number[] = [];
  upper: number[] = [];

  push(index: number, value: number): void {
    if (this.length === this.indices.length) {
      const indices = new Int32Array(this.length * 2);
      indices.set(this.indices);
      this.indices = indices;
      const values = new Float64Array(this.length * 2);
      values.set(this.values);
      this.values = values;
    }
    this.indices[this.length] = index;
    this.values[this.length] = value;
    this.length++;
  }

  endRow(lower: number, upper: number): void {
    this.starts.push(this.length);
    this.lower.push(lower);
    this.upper.push(upper);
  }
}

export function buildGroupModel(group: Group, options: BuildOptions = {}): BuiltModel {
  const useSpacing = options.spacing ?? true;
  const useCaps = options.caps ?? true;
  const n = group.items.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + (group.items[i]?.times.length ?? 0);
  const numX = offsets[n] as number;

  // Distinct candidate times of the group; y[t] = how many items sit at time t. Spacing and
  // caps are written on y, which keeps the rows short (the LP relaxation is the same).
  const all = new Float64Array(numX);
  group.items.forEach((m, i) => all.set(m.times, offsets[i] as number));
  all.sort();
  let numT = 0;
  const times = new Float64Array(numX);
  for (let p = 0; p < numX; p++) if (p === 0 || all[p] !== all[p - 1]) times[numT++] = all[p] as number;
  // Most times sit on the 15-minute grid: a direct lookup, binary search for the rest.
  const GRID = 15 * 60_000;
  const first = numT > 0 ? (times[0] as number) : 0;
  const span = numT > 0 ? Math.floor(((times[numT - 1] as number) - first) / GRID) + 1 : 0;
  const onGrid = new Int32Array(span).fill(-1);
  for (let t = 0; t < numT; t++) {
    const d = (times[t] as number) - first;
    if (d % GRID === 0) onGrid[d / GRID] = t;
  }
  const timeIndex = (t: number): number => {
    const d = t - first;
    if (d % GRID === 0) {
      const hit = onGrid[d / GRID] ?? -1;
      if (hit >= 0) return hit;
    }
    let lo = 0;
    let hi = numT;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const numCols = numX + numT;
  const colCost = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols).fill(1);
  const colTime = new Int32Array(numX);
  const timeDay = new Int32Array(numT);
  const perTimeCount = new Int32Array(numT + 1);
  group.items.forEach((m, i) => {
    const base = offsets[i] as number;
    for (let k = 0; k < m.times.length; k++) {
      colCost[base + k] = m.values[k] as number;
      const ti = timeIndex(m.times[k] as number);
      colTime[base + k] = ti;
      timeDay[ti] = m.days[k] as number;
      perTimeCount[ti + 1] = (perTimeCount[ti + 1] as number) + 1;
    }
  });
  for (let t = 0; t < numT; t++) perTimeCount[t + 1] = (perTimeCount[t + 1] as number) + (perTimeCount[t] as number);
  const perTimeCols = new Int32Array(numX);
  const fill = perTimeCount.slice(0, numT);
  for (let c = 0; c < numX; c++) {
    const t = colTime[c] as number;
    perTimeCols[fill[t] as number] = c;
    fill[t] = (fill[t] as number) + 1;
  }

  const rows = new RowBuffer();
  for (let i = 0; i < n; i++) {
    for (let c = offsets[i] as number; c < (offsets[i + 1] as number); c++) rows.push(c, 1);
    rows.endRow(1, 1);
  }
  for (let t = 0; t < numT; t++) {
    for (let p = perTimeCount[t] as number; p < (perTimeCount[t + 1] as number); p++) rows.push(perTimeCols[p] as number, 1);
    rows.push(numX + t, -1);
    rows.endRow(0, 0);
    if (!useSpacing || group.spacingMs <= 0) colUpper[numX + t] = n;
  }

  if (useSpacing) {
    const windows = maximalSpacingWindows(times, numT, group.spacingMs);
    for (let w = 0; w < windows.from.length; w++) {
      for (let q = windows.from[w] as number; q < (windows.to[w] as number); q++) rows.push(numX + q, 1);
      rows.endRow(0, 1);
    }
  }

  if (useCaps && Number.isFinite(group.cap)) {
    const byDay = new Map<number, number[]>();
    for (let t = 0; t < numT; t++) {
      const list = byDay.get(timeDay[t] as number) ?? [];
      list.push(numX + t);
      byDay.set(timeDay[t] as number, list);
    }
    for (const [day, cols] of byDay) {
      const left = group.capLeft.get(day) ?? group.cap;
      if (cols.length > left) {
        for (const c of cols) rows.push(c, 1);
        rows.endRow(0, left);
      }
    }
  }

  const numRows = rows.lower.length;
  return {
    offsets,
    model: {
      numCols,
      numRows,
      colCost,
      colLower: new Float64Array(numCols),
      colUpper,
      rowLower: Float64Array.from(rows.lower),
      rowUpper: Float64Array.from(rows.upper),
      starts: Int32Array.from(rows.starts),
      indices: rows.indices.slice(0, rows.length),
      values: rows.values.slice(0, rows.length),
    },
  };
}

/** Reads x back into a candidate index per item (−1 where nothing is ≥ 0.5). */
export function decodeAssignment(built: BuiltModel, colValue: Float64Array): Int32Array {
  const n = built.offsets.length - 1;
  const assign = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestX = 0.5;
    for (let c = built.offsets[i] as number; c < (built.offsets[i + 1] as number); c++) {
      const x = colValue[c] as number;
      if (x > bestX) {
        bestX = x;
        best = c - (built.offsets[i] as number);
      }
    }
    assign[i] = best;
  }
  return assign;
}

export function startColumns(built: BuiltModel, assign: Int32Array): Int32Array | undefined {
  const cols: number[] = [];
  for (let i = 0; i < assign.length; i++) {
    const k = assign[i] as number;
    if (k < 0) return undefined;
    cols.push((built.offsets[i] as number) + k);
  }
  return Int32Array.from(cols);
}
