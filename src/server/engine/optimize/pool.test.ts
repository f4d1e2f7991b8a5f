import { afterAll, describe, expect, it } from 'vitest';
import { checkSchedule } from '../testing/check-schedule';
import { generateInstance } from '../testing/instances';
import { optimize } from './optimize';
import { HighsPool, highsPool } from './pool';
import { buildProblem } from './problem';
import { buildGroupModel } from './milp';

afterAll(async () => {
  await highsPool().close();
});

describe('HiGHS worker pool under faults', () => {
  it('a worker killed mid-solve fails its job, and the next job gets a fresh worker', async () => {
    const pool = new HighsPool(1);
    const problem = buildProblem(generateInstance({ items: 200, seed: 3, maxShiftMinutes: 2 * 24 * 60 }));
    const big = buildGroupModel(problem.groups[0] ?? (() => { throw new Error('no group'); })());
    const pending = pool.solve({ kind: 'mip', model: big.model, timeLimitSeconds: 60, mipRelGap: 0 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pool.terminateWorkers();
    const killed = await pending;
    expect(killed.status).toBe('failed');
    expect(killed.error).toMatch(/exited|failed/);
    const next = await pool.solve({ kind: 'lp', model: big.model, timeLimitSeconds: 30 });
    expect(next.status).toBe('optimal');
    expect(pool.size).toBe(1);
    await pool.close();
  });

  it('optimize still answers with a legal schedule when its solver workers die', async () => {
    const input = generateInstance({ items: 300, seed: 5, maxShiftMinutes: 24 * 60 });
    const running = optimize({ ...input, method: 'exact', timeBudgetMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await highsPool().terminateWorkers();
    const out = await running;
    expect(out.status).toBe('completed');
    expect(out.changes.length).toBeGreaterThan(0);
    expect(checkSchedule(input, out)).toEqual([]);
    // A later call is served by fresh workers and proves optimality again.
    const again = await optimize({ ...input, method: 'exact', timeBudgetMs: 20_000 });
    expect(again.solver.method).toMatch(/^highs \(proven optimal/);
    expect(again.objective.after).toBeGreaterThanOrEqual(out.objective.after - 1e-6);
  });
});
