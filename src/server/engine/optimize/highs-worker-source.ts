/**
 * The HiGHS solve worker's source, run with `new Worker(source, { eval: true })`. It lives in a
 * string on purpose: the engine runs under tsx, vitest and inside the bundled desktop app, and an
 * eval'd worker needs no separate file for a bundler to ship nor a TypeScript loader; `highs` is
 * loaded from the absolute path the parent resolved. It receives a model already built as typed
 * arrays (see milp.ts), solves it, disposes the native model, and reports the WASM heap size so
 * the pool can recycle a worker whose heap has grown (the WASM heap never shrinks).
 */
export const HIGHS_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
// The ES module build when the parent found it (measured faster in workers), else CommonJS.
const highsPromise = (workerData.highsModuleUrl
  ? import(workerData.highsModuleUrl).then((m) => m.default)
  : Promise.resolve(require(workerData.highsPath))
).then((loadHighs) => loadHighs()).then((highs) => {
  warmUp(highs);
  return highs;
});

// V8 first runs WASM on its baseline compiler and optimizes hot functions in the background;
// solving a small model of the real shape now means real jobs meet optimized code (measured:
// the first second of LPs on a cold worker ran 2-3x slower).
function warmUp(highs) {
  const items = 24, slots = 160, window = 8;
  const numX = items * slots, numCols = numX + slots;
  const colCost = new Float64Array(numCols), colUpper = new Float64Array(numCols).fill(1);
  const starts = [0], indices = [], values = [], lower = [], upper = [];
  let seed = 7;
  for (let c = 0; c < numX; c++) { seed = (seed * 16807) % 2147483647; colCost[c] = seed / 2147483647; }
  for (let i = 0; i < items; i++) { for (let k = 0; k < slots; k++) { indices.push(i * slots + k); values.push(1); } starts.push(indices.length); lower.push(1); upper.push(1); }
  for (let t = 0; t < slots; t++) { for (let i = 0; i < items; i++) { indices.push(i * slots + t); values.push(1); } indices.push(numX + t); values.push(-1); starts.push(indices.length); lower.push(0); upper.push(0); }
  for (let t = 0; t + window <= slots; t++) { for (let q = t; q < t + window; q++) { indices.push(numX + q); values.push(1); } starts.push(indices.length); lower.push(0); upper.push(1); }
  for (let round = 0; round < 3; round++) {
    const model = highs.createModel({
      numCols, numRows: lower.length, sense: highs.constants.objectiveSense.maximize, colCost,
      colLower: new Float64Array(numCols), colUpper, rowLower: Float64Array.from(lower), rowUpper: Float64Array.from(upper),
      matrix: { format: 'csr', numRows: lower.length, numCols, starts: Int32Array.from(starts), indices: Int32Array.from(indices), values: Float64Array.from(values) },
    });
    try {
      model.options.set({ output_flag: false, presolve: 'off', solver: 'simplex', simplex_strategy: 1, simplex_scale_strategy: 0, time_limit: 2 });
      model.run();
    } finally {
      model.dispose();
    }
  }
}

parentPort.on('message', async (job) => {
  const started = performance.now();
  try {
    const highs = await highsPromise;
    const m = job.model;
    const model = highs.createModel({
      numCols: m.numCols,
      numRows: m.numRows,
      sense: highs.constants.objectiveSense.maximize,
      colCost: m.colCost,
      colLower: m.colLower,
      colUpper: m.colUpper,
      rowLower: m.rowLower,
      rowUpper: m.rowUpper,
      matrix: { format: 'csr', numRows: m.numRows, numCols: m.numCols, starts: m.starts, indices: m.indices, values: m.values },
      integrality: job.kind === 'mip' ? new Int32Array(m.numCols).fill(1) : undefined,
    });
    try {
      model.options.set({ output_flag: false, time_limit: Math.max(0.05, job.timeLimitSeconds) });
      if (job.kind === 'lp') {
        // Measured on these assignment-with-cliques LPs: presolve costs more than it saves, and
        // dual simplex without scaling is the fastest of HiGHS's LP methods here.
        model.options.set({ presolve: 'off', solver: 'simplex', simplex_strategy: 1, simplex_scale_strategy: 0 });
      }
      if (job.kind === 'mip') {
        model.options.set({ mip_rel_gap: job.mipRelGap ?? 1e-6, mip_abs_gap: 1e-7 });
        if (job.start) model.setSolution({ indices: job.start, values: new Float64Array(job.start.length).fill(1) });
      }
      const run = model.run();
      const status = run.modelStatus;
      const c = highs.constants.modelStatus;
      const hasPrimal = Number(model.info.get('primal_solution_status')) === highs.constants.solutionStatus.feasible;
      const result = {
        id: job.id,
        status: status === c.optimal ? 'optimal' : status === c.infeasible ? 'infeasible' : hasPrimal ? 'limit' : 'failed',
        objective: hasPrimal ? model.getObjectiveValue() : Number.NaN,
        bound: Number.NaN,
        colValue: hasPrimal ? model.getSolution().colValue : null,
        heapBytes: highs.memoryBytes,
        ms: 0,
      };
      if (job.kind === 'mip') {
        const dual = Number(model.info.get('mip_dual_bound'));
        result.bound = Number.isFinite(dual) ? dual : Number.NaN;
      } else if (status === c.optimal) {
        result.bound = result.objective;
      }
      result.ms = performance.now() - started;
      const transfer = result.colValue ? [result.colValue.buffer] : [];
      parentPort.postMessage(result, transfer);
    } finally {
      model.dispose();
    }
  } catch (error) {
    parentPort.postMessage({ id: job.id, status: 'failed', error: String(error && error.stack ? error.stack : error), objective: Number.NaN, bound: Number.NaN, colValue: null, heapBytes: 0, ms: performance.now() - started });
  }
});
`;
