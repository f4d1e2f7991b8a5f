/**
 * optimize(): decompose into independent channel groups; solve every group's LP relaxation on
 * the HiGHS workers (the bound, and usually an integral solution, hence the proven optimum);
 * the rest get LP-guided greedy + local search, then a warm-started MILP when exact is wanted
 * or time is left. A group whose LP misses the deadline is bounded by Lagrangian pricing.
 * Every answer is checked against the constraints before it is returned.
 */
import type { OptimizationChange } from '../../../shared/api';
import { WEEKDAY_NAMES } from '../../../shared/time';
import type { OptimizeInput, OptimizeOutput } from '../types';
import { checkGroupAssignment, solveGroupHeuristic, type GroupSolution } from './heuristic';
import { lagrangianBound } from './bound';
import { buildGroupModel, decodeAssignment, startColumns } from './milp';
import { highsPool, type SolveResult } from './pool';
import { buildProblem, scoreOf, type Group, type Infeasibility, type MovableItem, type Problem } from './problem';

/** Above this many x[i,k] columns in total, 'auto' answers with the heuristic. */
export const EXACT_MAX_COLUMNS = 150_000;
const DEFAULT_BUDGET_MS = 10_000;

interface GroupOutcome {
  assign: Int32Array;
  value: number;
  bound: number;
  exact: 'optimal' | 'limit' | 'none';
}

export async function optimize(input: OptimizeInput): Promise<OptimizeOutput> {
  const started = Date.now();
  const budget = input.timeBudgetMs ?? DEFAULT_BUDGET_MS;
  const deadline = started + budget;
  const problem = buildProblem(input);
  const before = sum(problem.movable.map((m) => scoreOf(problem, m.item.platform, m.cur)));

  if (problem.infeasible) return infeasibleOutput(problem, problem.infeasible, before, started);

  const columns = sum(problem.groups.map((g) => sum(g.items.map((m) => m.times.length))));
  const method = input.method ?? 'auto';
  const exactAllowed = method === 'exact' || (method === 'auto' && columns <= EXACT_MAX_COLUMNS);
  const pool = highsPool();
  pool.warm();
  // LP work stops being started at this point so the heuristic still has time to answer.
  const lpDeadline = started + budget * 0.8;

  const outcomes: GroupOutcome[] = [];
  let exactCount = 0;
  let limited = 0;
  let heuristicCount = 0;

  // Phase 1: the LP relaxation of every group (the bound, and very often the optimum itself:
  // this structure's LP is usually integral). The heuristic-only mode overlaps its own search.
  const lpPromises: Array<Promise<SolveResult>> = [];
  const models = problem.groups.map((group) => {
    const built = buildGroupModel(group);
    // Posted as soon as built, so the workers start while later models are still being built.
    lpPromises.push(pool.solve({ kind: 'lp', model: built.model, timeLimitSeconds: budget / 1000, deadline: lpDeadline }));
    return built;
  });
  // While the workers solve LPs (in queue order), this thread prepares the groups whose LP is
  // predicted to miss the deadline at the observed LP rate: a heuristic answer first, then a
  // Lagrangian bound. When the LPs keep up it stays idle, leaving both cores to the workers.
  const n = problem.groups.length;
  const early: Array<GroupSolution | undefined> = new Array(n);
  const earlyBound: Array<number | undefined> = new Array(n);
  const lpDone = new Uint8Array(n);
  let doneCount = 0;
  const doneAt: number[] = [];
  lpPromises.forEach((p, g) => void p.then(() => {
    lpDone[g] = 1;
    doneCount++;
    doneAt.push(Date.now());
  }));
  if (method === 'heuristic') {
    for (let g = n - 1; g >= 0; g--) {
      const perGroup = Math.max(5, (started + budget * 0.6 - Date.now()) / (g + 1));
      early[g] = solveGroupHeuristic(problem.groups[g] as Group, { deadline: Date.now() + perGroup });
    }
  } else {
    const lpStart = Date.now();
    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    while (doneCount < n && Date.now() < lpDeadline) {
      const now = Date.now();
      const elapsed = now - lpStart;
      const window = lpDeadline - lpStart;
      // Work here takes CPU from the workers (two cores), so it starts only once the LP phase is
      // well under way, judged on the recent LP rate (the first solves include start-up).
      let atRisk = 0;
      if (elapsed > window * 0.4) {
        const recent = doneAt.filter((t) => t > now - 1000).length;
        const rate = recent / Math.min(1000, elapsed);
        atRisk = n - doneCount - Math.floor(rate * (lpDeadline - now));
      }
      let target = -1;
      let kind: 'heuristic' | 'bound' = 'heuristic';
      if (atRisk > 0) {
        // The at-risk groups are the last `atRisk` pending ones.
        const risky: number[] = [];
        for (let g = n - 1; g >= 0 && risky.length < atRisk; g--) if (!lpDone[g]) risky.push(g);
        target = risky.find((g) => !early[g]) ?? -1;
        if (target < 0) {
          kind = 'bound';
          target = risky.find((g) => earlyBound[g] === undefined && early[g]?.complete) ?? -1;
        }
      }
      if (target < 0) {
        await pause(5);
        continue;
      }
      const group = problem.groups[target] as Group;
      if (kind === 'heuristic') {
        early[target] = solveGroupHeuristic(group, { deadline: Math.min(lpDeadline, Date.now() + 50) });
      } else {
        const h = early[target] as GroupSolution;
        earlyBound[target] = lagrangianBound(group, h.value, Math.min(lpDeadline, Date.now() + 100));
      }
      // Let finished LP jobs report in between groups.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  // A job still running (or a worker still loading WASM) at the LP deadline is not waited for.
  const lps = await Promise.all(lpPromises.map((p) => settleBy(p, lpDeadline)));

  // Phase 2: groups whose LP was fractional or did not come back get the heuristic, then a
  // warm-started MIP when exact is wanted or time is left.
  const solveGroup = async (g: number): Promise<GroupOutcome | Infeasibility> => {
    const group = problem.groups[g] as Group;
    const built = models[g] as ReturnType<typeof buildGroupModel>;
    const lp = lps[g] as SolveResult;
    const trivial = sum(group.items.map((m) => m.values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY)));
    const lpBound = lp.status === 'optimal' && Number.isFinite(lp.bound) ? Math.min(lp.bound, trivial) : trivial;
    if (lp.status === 'infeasible') return diagnoseGroup(group);

    if (method !== 'heuristic' && lp.status === 'optimal' && lp.colValue && isIntegral(lp.colValue, built.offsets)) {
      const assign = decodeAssignment(built, lp.colValue);
      if (checkGroupAssignment(group, assign)) {
        return { assign, value: valueOf(group, assign), bound: lpBound, exact: 'optimal' };
      }
    }

    // A fractional LP still knows where items want to go: its x guides the greedy order.
    const guide = method !== 'heuristic' && lp.colValue ? lp.colValue : undefined;
    // Groups reaching this point share what is left of the budget evenly.
    const slice = Math.max(2, (deadline - Math.min(400, budget * 0.04) - Date.now()) / Math.max(1, pendingRest));
    pendingRest--;
    const prior = early[g];
    const fresh = !prior || guide !== undefined;
    let h: GroupSolution;
    if (prior && !guide) {
      h = prior;
    } else {
      const next = solveGroupHeuristic(group, { deadline: Date.now() + slice * 0.5, ...(guide ? { guide, offsets: built.offsets } : {}) });
      h = prior && prior.complete && (!next.complete || prior.value >= next.value) ? prior : next;
    }
    let bound = lpBound;
    if (!(lp.status === 'optimal' && Number.isFinite(lp.bound)) && h.complete) {
      // No LP bound in time: price the constraints out instead (weaker, but valid and close).
      const priced = lagrangianBound(group, h.value, Date.now() + slice * (fresh ? 0.5 : 1));
      bound = Math.min(trivial, priced, earlyBound[g] ?? Number.POSITIVE_INFINITY);
      lagrangianGroups++;
    }
    let best: GroupOutcome = { assign: h.assign, value: h.complete ? h.value : Number.NEGATIVE_INFINITY, bound, exact: 'none' };
    const spare = method === 'auto' && deadline - Date.now() > 1000;
    if (exactAllowed || spare || !h.complete) {
      const start = h.complete ? startColumns(built, h.assign) : undefined;
      const mipDeadline = deadline - 250;
      const mip = await pool.solve({
        kind: 'mip',
        model: built.model,
        timeLimitSeconds: Math.max(0.1, (mipDeadline - Date.now()) / 1000),
        // An item the heuristic could not place still needs an answer, even past the budget.
        deadline: h.complete ? mipDeadline : Math.max(mipDeadline, Date.now() + 5000),
        ...(start ? { start } : {}),
      });
      if (mip.colValue) {
        const assign = decodeAssignment(built, mip.colValue);
        if (checkGroupAssignment(group, assign)) {
          const value = valueOf(group, assign);
          if (value >= best.value - 1e-9) {
            best = { assign, value, bound: best.bound, exact: mip.status === 'optimal' ? 'optimal' : 'limit' };
          }
        }
      }
      if (!Number.isFinite(best.value)) {
        if (mip.status === 'infeasible') return diagnoseGroup(group);
        return {
          constraint: 'time_budget',
          message: `no schedule for channel ${group.channel} satisfying every constraint was found within ${budget} ms`,
          item_ids: group.items.map((m) => m.item.id),
        };
      }
    }
    best.bound = Math.max(best.value, best.bound);
    return best;
  };

  let lagrangianGroups = 0;
  let pendingRest = 0;
  problem.groups.forEach((_, g) => {
    const lp = lps[g] as SolveResult;
    const built = models[g] as ReturnType<typeof buildGroupModel>;
    if (method === 'heuristic' || lp.status !== 'optimal' || !lp.colValue || !isIntegral(lp.colValue, built.offsets)) pendingRest++;
  });
  const results = await Promise.all(problem.groups.map((_, g) => solveGroup(g)));
  for (const r of results) {
    if (!('assign' in r)) return infeasibleOutput(problem, r, before, started);
    if (r.exact === 'optimal') exactCount++;
    else if (r.exact === 'limit') limited++;
    else heuristicCount++;
    outcomes.push(r);
  }

  const after = sum(outcomes.map((o) => o.value));
  const bound = sum(outcomes.map((o) => o.bound));
  const changes = buildChanges(problem, outcomes);
  const groups = problem.groups.length;
  let methodName: string;
  if (groups === 0) methodName = 'none (nothing movable)';
  else if (exactCount === groups) methodName = 'highs (proven optimal: integral LP or MILP)';
  else if (exactCount + limited === groups) methodName = 'highs-milp (time limit on some groups)';
  else if (heuristicCount === groups) methodName = 'greedy-local-search';
  else methodName = `highs (${exactCount} of ${groups} groups proven optimal) + greedy-local-search`;
  return {
    status: 'completed',
    changes,
    objective: {
      before: round(before),
      after: round(after),
      uplift_pct: before > 0 ? round(((after - before) / before) * 100) : 0,
      upper_bound: round(bound),
    },
    violations_before: problem.violations,
    solver: {
      method: `${methodName}; bound: highs-lp${lagrangianGroups > 0 ? ` (lagrangian for ${lagrangianGroups} of ${groups} groups the LP did not reach in time)` : ''}`,
      gap: bound > 0 ? Math.max(0, (bound - after) / bound) : 0,
      duration_ms: Date.now() - started,
    },
  };
}

const LATE: SolveResult = { status: 'failed', objective: Number.NaN, bound: Number.NaN, colValue: null, heapBytes: 0, ms: 0, error: 'not back by the deadline' };

function settleBy(promise: Promise<SolveResult>, deadline: number): Promise<SolveResult> {
  const wait = deadline - Date.now();
  if (wait <= 0) return Promise.race([promise, Promise.resolve(LATE)]);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(LATE), wait);
    void promise.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function isIntegral(colValue: Float64Array, offsets: Int32Array): boolean {
  const numX = offsets[offsets.length - 1] as number;
  for (let c = 0; c < numX; c++) {
    const x = colValue[c] as number;
    if (x > 1e-6 && x < 1 - 1e-6) return false;
  }
  return true;
}

function valueOf(group: Group, assign: Int32Array): number {
  let v = 0;
  group.items.forEach((m, i) => {
    v += m.values[assign[i] as number] as number;
  });
  return v;
}

async function diagnoseGroup(group: Group): Promise<Infeasibility> {
  const ids = group.items.map((m) => m.item.id);
  const pool = highsPool();
  const withoutCaps = await pool.solve({ kind: 'mip', model: buildGroupModel(group, { caps: false }).model, timeLimitSeconds: 10 });
  if (withoutCaps.status === 'optimal' || withoutCaps.status === 'limit') {
    return {
      constraint: 'max_per_day',
      message: `channel ${group.channel}: these items cannot all fit with at most ${group.cap} per local day within their allowed times`,
      item_ids: ids,
    };
  }
  return {
    constraint: 'min_spacing_minutes',
    message: `channel ${group.channel}: these items cannot all be ${Math.round(group.spacingMs / 60_000)} minutes apart within their allowed times`,
    item_ids: ids,
  };
}

function infeasibleOutput(problem: Problem, why: Infeasibility, before: number, started: number): OptimizeOutput {
  return {
    status: 'infeasible',
    changes: [],
    objective: { before: round(before), after: round(before), uplift_pct: 0, upper_bound: round(before) },
    violations_before: problem.violations,
    solver: { method: 'none (infeasible)', gap: 0, duration_ms: Date.now() - started },
    infeasible: why,
  };
}

function localLabel(problem: Problem, at: number): string {
  const { cell, minute } = problem.clock.cellMinute(at);
  return `${WEEKDAY_NAMES[Math.floor(cell / 24)] ?? ''} ${String(cell % 24).padStart(2, '0')}:${String(Math.floor(minute)).padStart(2, '0')}`;
}

function shiftText(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const parts = [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : ''].filter(Boolean).join(' ');
  return `${ms > 0 ? 'later' : 'earlier'} by ${parts}`;
}

function buildChanges(problem: Problem, outcomes: GroupOutcome[]): OptimizationChange[] {
  const violated = new Map<string, string[]>();
  for (const v of problem.violations) {
    for (const id of v.item_ids) {
      const list = violated.get(id) ?? [];
      if (!list.includes(v.constraint)) list.push(v.constraint);
      violated.set(id, list);
    }
  }
  const changes: OptimizationChange[] = [];
  problem.groups.forEach((group, g) => {
    const outcome = outcomes[g] as GroupOutcome;
    group.items.forEach((m: MovableItem, i) => {
      const t = m.times[outcome.assign[i] as number] as number;
      if (t === m.cur) return;
      const scoreBefore = scoreOf(problem, m.item.platform, m.cur);
      const scoreAfter = scoreOf(problem, m.item.platform, t);
      const reasons: string[] = [];
      const broke = violated.get(m.item.id);
      if (broke) reasons.push(`Its current time breaks ${broke.join(', ')}`);
      const pct = scoreBefore > 0 ? Math.round(((scoreAfter - scoreBefore) / scoreBefore) * 100) : 0;
      if (scoreAfter > scoreBefore) {
        reasons.push(
          `Predicted engagement ${scoreBefore.toFixed(2)} → ${scoreAfter.toFixed(2)}${scoreBefore > 0 ? ` (+${pct}%)` : ''} at ${localLabel(problem, t)} local time`,
        );
      } else {
        reasons.push(`Moved to make room on ${m.channel} for a post that gains more (spacing and daily cap)`);
      }
      reasons.push(`Moves ${shiftText(t - m.cur)}, within every constraint`);
      changes.push({
        item_id: m.item.id,
        content_id: m.item.content_id,
        platform: m.item.platform,
        current_scheduled_time: m.item.scheduled_time,
        proposed_time: new Date(t).toISOString().replace('.000Z', 'Z'),
        score_before: round(scoreBefore),
        score_after: round(scoreAfter),
        delta: round(scoreAfter - scoreBefore),
        reasons,
      });
    });
  });
  return changes;
}
