/**
 * A Lagrangian upper bound for one group, for when its HiGHS LP did not come back in time
 * (a loaded machine, a huge instance). Spacing windows and daily caps are priced out with
 * multipliers λ ≥ 0; what remains (each item picks its best priced time) is solved exactly, so
 * every L(λ) is a valid bound, and subgradient steps (Polyak, toward the heuristic's value)
 * tighten it. Its best is at least as weak as the LP bound, never stronger.
 */
import type { Group } from './problem';
import { maximalSpacingWindows } from './spacing-windows';

export function lagrangianBound(group: Group, feasibleValue: number, deadline: number, maxIterations = 300): number {
  const items = group.items;
  // Distinct times and each candidate's time index.
  let total = 0;
  for (const m of items) total += m.times.length;
  const all = new Float64Array(total);
  let o = 0;
  for (const m of items) {
    all.set(m.times, o);
    o += m.times.length;
  }
  all.sort();
  const times: number[] = [];
  for (let p = 0; p < total; p++) if (p === 0 || all[p] !== all[p - 1]) times.push(all[p] as number);
  const numT = times.length;
  const index = new Map<number, number>();
  times.forEach((t, i) => index.set(t, i));
  const candTime = items.map((m) => Int32Array.from(m.times, (t) => index.get(t) ?? 0));
  const dayOf = new Int32Array(numT);
  items.forEach((m, i) => {
    const ct = candTime[i] as Int32Array;
    for (let k = 0; k < ct.length; k++) dayOf[ct[k] as number] = m.days[k] as number;
  });

  // Spacing windows [from, to) over time indices (the same maximal windows as the MILP).
  const { from: wFrom, to: wTo } = maximalSpacingWindows(times, numT, group.spacingMs);
  const days: number[] = [];
  const dayLeft: number[] = [];
  const dayIdx = new Int32Array(numT).fill(-1);
  if (Number.isFinite(group.cap)) {
    const seen = new Map<number, number>();
    for (let t = 0; t < numT; t++) {
      const d = dayOf[t] as number;
      let k = seen.get(d);
      if (k === undefined) {
        k = days.length;
        seen.set(d, k);
        days.push(d);
        dayLeft.push(group.capLeft.get(d) ?? group.cap);
      }
      dayIdx[t] = k;
    }
  }

  const lambda = new Float64Array(wFrom.length);
  const mu = new Float64Array(days.length);
  const price = new Float64Array(numT + 1);
  const count = new Float64Array(numT + 1);
  const dayCount = new Float64Array(days.length);
  const gW = new Float64Array(lambda.length);
  const gD = new Float64Array(mu.length);
  let best = Number.POSITIVE_INFINITY;
  let theta = 1;
  let sinceBest = 0;
  for (let iter = 0; iter < maxIterations; iter++) {
    if (iter > 0 && Date.now() > deadline) break;
    // π_t = Σ λ over windows containing t (difference array) + μ of t's day.
    price.fill(0);
    for (let w = 0; w < wFrom.length; w++) {
      price[wFrom[w] as number] = (price[wFrom[w] as number] as number) + (lambda[w] as number);
      price[wTo[w] as number] = (price[wTo[w] as number] as number) - (lambda[w] as number);
    }
    let run = 0;
    for (let t = 0; t < numT; t++) {
      run += price[t] as number;
      price[t] = run + ((dayIdx[t] as number) >= 0 ? (mu[dayIdx[t] as number] as number) : 0);
    }
    let value = 0;
    count.fill(0);
    dayCount.fill(0);
    for (let i = 0; i < items.length; i++) {
      const m = items[i] as Group['items'][number];
      const ct = candTime[i] as Int32Array;
      let bestV = Number.NEGATIVE_INFINITY;
      let bestT = 0;
      for (let k = 0; k < ct.length; k++) {
        const v = (m.values[k] as number) - (price[ct[k] as number] as number);
        if (v > bestV) {
          bestV = v;
          bestT = ct[k] as number;
        }
      }
      value += bestV;
      count[bestT] = (count[bestT] as number) + 1;
      if ((dayIdx[bestT] as number) >= 0) dayCount[dayIdx[bestT] as number] = (dayCount[dayIdx[bestT] as number] as number) + 1;
    }
    for (let w = 0; w < lambda.length; w++) value += lambda[w] as number;
    for (let d = 0; d < mu.length; d++) value += (mu[d] as number) * (dayLeft[d] as number);
    if (value < best - 1e-9) {
      best = value;
      sinceBest = 0;
    } else if (++sinceBest >= 8) {
      theta /= 2;
      sinceBest = 0;
      if (theta < 1e-4) break;
    }
    // Subgradients: slack of each relaxed row at the relaxed optimum.
    for (let t = 1; t <= numT; t++) count[t] = (count[t] as number) + (count[t - 1] as number);
    const prefix = (t: number): number => (t > 0 ? (count[t - 1] as number) : 0);
    let norm = 0;
    for (let w = 0; w < lambda.length; w++) {
      const g = 1 - (prefix(wTo[w] as number) - prefix(wFrom[w] as number));
      if (g < 0 || (lambda[w] as number) > 0) norm += g * g;
      gW[w] = g;
    }
    for (let d = 0; d < mu.length; d++) {
      const g = (dayLeft[d] as number) - (dayCount[d] as number);
      if (g < 0 || (mu[d] as number) > 0) norm += g * g;
      gD[d] = g;
    }
    if (norm === 0) break; // the relaxed optimum is feasible: L equals the optimum
    const step = (theta * Math.max(1e-6, value - feasibleValue)) / norm;
    for (let w = 0; w < lambda.length; w++) lambda[w] = Math.max(0, (lambda[w] as number) - step * (gW[w] as number));
    for (let d = 0; d < mu.length; d++) mu[d] = Math.max(0, (mu[d] as number) - step * (gD[d] as number));
  }
  return best;
}
