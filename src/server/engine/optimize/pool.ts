/**
 * A pool of at most two HiGHS worker threads (the machine has two cores). HiGHS blocks the
 * thread it runs on and its WASM heap never shrinks, so solves run off the main thread and a
 * worker whose heap has grown past HEAP_RECYCLE_BYTES is replaced after its job. A job that
 * overruns its own time limit by a wide margin gets its worker terminated.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HIGHS_WORKER_SOURCE } from './highs-worker-source';
import type { MilpModel } from './milp';

export interface SolveJob {
  kind: 'mip' | 'lp';
  model: MilpModel;
  timeLimitSeconds: number;
  mipRelGap?: number;
  /** Column indices set to 1 in a known feasible solution (MIP start). */
  start?: Int32Array;
  /** Epoch ms after which the job is not started at all (and its limit is cut to fit). */
  deadline?: number;
}

export interface SolveResult {
  status: 'optimal' | 'infeasible' | 'limit' | 'failed';
  objective: number;
  bound: number;
  colValue: Float64Array | null;
  heapBytes: number;
  ms: number;
  error?: string;
}

interface Pending {
  job: SolveJob;
  resolve: (result: SolveResult) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
  watchdog: NodeJS.Timeout | null;
  id: number;
}

const HEAP_RECYCLE_BYTES = 768 * 2 ** 20;
/** Resolved once in the parent, so the eval'd worker finds `highs` wherever the engine runs. */
const HIGHS_PATH = createRequire(import.meta.url).resolve('highs');
const HIGHS_MODULE = join(dirname(HIGHS_PATH), 'highs.mjs');
const HIGHS_MODULE_URL = existsSync(HIGHS_MODULE) ? pathToFileURL(HIGHS_MODULE).href : undefined;

export class HighsPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly maxWorkers = 2) {}

  solve(job: SolveJob): Promise<SolveResult> {
    if (this.closed) return Promise.resolve(failed('pool closed'));
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve(failed('pool closed'));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot)));
  }

  /**
   * Kills every worker mid-solve, as a crash would: their jobs resolve as failed and later
   * jobs get fresh workers. Used to stop runaway solves and by the fault tests.
   */
  async terminateWorkers(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** Starts every worker now (each loads HiGHS at once), so the first solves do not wait. */
  warm(): void {
    while (!this.closed && this.slots.length < this.maxWorkers) this.spawn();
  }

  /** Workers currently alive (for tests and metrics). */
  get size(): number {
    return this.slots.length;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.busy === null);
      if (!slot && this.slots.length < this.maxWorkers) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift() as Pending;
      const left = pending.job.deadline === undefined ? Infinity : (pending.job.deadline - Date.now()) / 1000;
      if (left < 0.02) {
        pending.resolve(failed('time budget spent before this solve could start'));
        continue;
      }
      pending.job.timeLimitSeconds = Math.min(pending.job.timeLimitSeconds, left);
      this.dispatch(slot, pending);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(HIGHS_WORKER_SOURCE, { eval: true, workerData: { highsPath: HIGHS_PATH, highsModuleUrl: HIGHS_MODULE_URL } });
    const slot: Slot = { worker, busy: null, watchdog: null, id: 0 };
    worker.on('message', (message: SolveResult & { id: number }) => {
      if (!slot.busy || message.id !== slot.id) return;
      const pending = slot.busy;
      this.finish(slot);
      pending.resolve(message);
      if (message.heapBytes > HEAP_RECYCLE_BYTES) this.replace(slot);
      this.pump();
    });
    const onDeath = (reason: string): void => {
      const pending = slot.busy;
      this.finish(slot);
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (pending) pending.resolve(failed(reason));
      if (!this.closed) this.pump();
    };
    worker.on('error', (error) => onDeath(`HiGHS worker failed: ${error.message}`));
    worker.on('exit', (code) => onDeath(`HiGHS worker exited (${code})`));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private dispatch(slot: Slot, pending: Pending): void {
    slot.busy = pending;
    slot.id = this.nextId++;
    // Keep the process alive while a solve is in flight; an idle pool must not.
    slot.worker.ref();
    const graceMs = pending.job.timeLimitSeconds * 1000 * 2 + 5000;
    slot.watchdog = setTimeout(() => {
      const stuck = slot.busy;
      this.finish(slot);
      this.replace(slot);
      if (stuck) stuck.resolve(failed('HiGHS overran its time limit; worker restarted'));
      this.pump();
    }, graceMs);
    const m = pending.job.model;
    slot.worker.postMessage({
      id: slot.id,
      kind: pending.job.kind,
      model: m,
      timeLimitSeconds: pending.job.timeLimitSeconds,
      mipRelGap: pending.job.mipRelGap,
      start: pending.job.start,
    });
  }

  private finish(slot: Slot): void {
    if (slot.watchdog) clearTimeout(slot.watchdog);
    slot.watchdog = null;
    slot.busy = null;
    slot.worker.unref();
  }

  private replace(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    void this.retire(slot);
  }

  private async retire(slot: Slot): Promise<void> {
    slot.worker.removeAllListeners('exit');
    slot.worker.removeAllListeners('error');
    slot.worker.on('error', () => undefined);
    await slot.worker.terminate();
  }
}

function failed(error: string): SolveResult {
  return { status: 'failed', objective: Number.NaN, bound: Number.NaN, colValue: null, heapBytes: 0, ms: 0, error };
}

let shared: HighsPool | null = null;

/** The process-wide pool the optimizer uses. */
export function highsPool(): HighsPool {
  shared ??= new HighsPool(2);
  return shared;
}
