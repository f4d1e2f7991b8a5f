/**
 * The maximal spacing windows over a group's sorted distinct times: every [τ, τ + spacing) that
 * holds at least two times and is not contained in the previous one. They are the cliques of
 * the interval graph, so "Σ y ≤ 1 over each window" is the spacing rule; the MILP and the
 * Lagrangian bound must use exactly the same ones.
 */
/** `times[0..numT)` must be sorted ascending (the array may be longer). */
export function maximalSpacingWindows(times: ArrayLike<number>, numT: number, spacingMs: number): { from: number[]; to: number[] } {
  const from: number[] = [];
  const to: number[] = [];
  if (spacingMs <= 0) return { from, to };
  let prevStart = Number.NEGATIVE_INFINITY;
  let end = 0;
  for (let p = 0; p < numT; p++) {
    const tau = times[p] as number;
    while (end < numT && (times[end] as number) < tau + spacingMs) end++;
    if ((times[end - 1] as number) >= prevStart + spacingMs && end - p >= 2) {
      from.push(p);
      to.push(end);
    }
    prevStart = tau;
  }
  return { from, to };
}
