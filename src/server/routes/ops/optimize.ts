/**
 * Optimization: load the schedule, call the engine, store the proposal with the version of every
 * item it would move, and apply it (now or later, all or some) atomically. An item that changed
 * since the proposal is a 409 naming it, never a silent overwrite.
 */
import type { Transaction } from 'kysely';
import type { ErrorDetail } from '../../../shared/api/common';
import {
  ApplyOptimizationSchema,
  OptimizeRequestSchema,
  type Constraints,
  type Item,
  type OptimizationChange,
  type OptimizationResult,
} from '../../../shared/api/resources';
import { dstGapProblem } from '../../../shared/time';
import type { ServerContext } from '../../context';
import { optimize } from '../../engine/index';
import type { CalendarItem, OptimizeOutput } from '../../engine/types';
import { ApiError, parseOr400 } from '../../errors';
import { findItem, itemJson, itemsOf, touchSchedule, type ItemRow } from '../../storage/calendar';
import { newId } from '../../storage/ids';
import { loadHistory } from '../../storage/metrics';
import type { Database } from '../../storage/schema';
import type { OptimizationsTable } from '../../storage/schema-api';
import { canonicalInstant, requireSchedule, rowLocks } from './calendar';
import { isPlainObject, validationError, writeTransaction, type Emit } from './common';

/** Wall-clock budget handed to the engine for an answer inside the request. */
export const OPTIMIZE_TIME_BUDGET_MS = 5_000;

export interface OptimizeAnswer {
  status: 200 | 202;
  body: OptimizationResult & { applied_item_ids?: string[]; items?: Item[] };
}

/** Background optimizations still running; the server waits for them when it closes. */
export class OptimizationJobs {
  private readonly running = new Set<Promise<void>>();
  track(job: Promise<void>): void {
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
  }
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

function toCalendarItem(row: ItemRow): CalendarItem {
  return {
    id: row.id,
    content_id: row.content_id,
    platform: row.platform as CalendarItem['platform'],
    channel: row.channel,
    scheduled_time: row.scheduled_time,
    status: row.status,
  };
}

function resultBody(id: string, scheduleId: string, output: OptimizeOutput, applied: boolean): OptimizationResult {
  return {
    optimization_id: id,
    schedule_id: scheduleId,
    status: output.status,
    applied,
    objective: output.objective,
    changes: output.changes,
    violations_before: output.violations_before,
    solver: output.solver,
    ...(output.infeasible
      ? { error: { code: 'infeasible', message: `${output.infeasible.constraint}: ${output.infeasible.message}` } }
      : {}),
  };
}

function parseStored<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * Cross-field rules the schema cannot express: every range must run forwards, and no time may be
 * a local time that the schedule's zone skips (DST gap).
 */
function checkConstraints(constraints: Constraints | undefined, timezone: string): void {
  if (!constraints) return;
  const details: ErrorDetail[] = [];
  const gap = (path: string, value: string | undefined) => {
    const problem = value ? dstGapProblem(value, timezone) : undefined;
    if (problem) details.push({ path, message: problem });
  };
  gap('constraints.earliest', constraints.earliest);
  gap('constraints.latest', constraints.latest);
  constraints.blackout?.forEach((window, index) => {
    gap(`constraints.blackout[${index}].start`, window.start);
    gap(`constraints.blackout[${index}].end`, window.end);
  });
  if (constraints.earliest && constraints.latest && canonicalInstant(constraints.earliest).ms >= canonicalInstant(constraints.latest).ms) {
    details.push({ path: 'constraints.latest', message: 'must be after constraints.earliest' });
  }
  constraints.blackout?.forEach((window, index) => {
    if (canonicalInstant(window.start).ms >= canonicalInstant(window.end).ms) {
      details.push({ path: `constraints.blackout[${index}].end`, message: 'must be after start' });
    }
  });
  if (details[0]) throw new ApiError('validation_failed', `${details[0].path}: ${details[0].message}`, details);
}

export async function optimizeSchedule(
  ctx: ServerContext,
  accountId: string,
  rawBody: unknown,
  jobs: OptimizationJobs,
  asyncThreshold: number,
  pathScheduleId?: string,
): Promise<OptimizeAnswer> {
  let body = rawBody === undefined ? {} : rawBody;
  if (pathScheduleId !== undefined) {
    if (!isPlainObject(body)) throw validationError('(body)', 'expected a JSON object');
    if (body.schedule_id !== undefined && body.schedule_id !== pathScheduleId) {
      throw validationError('schedule_id', 'does not match the schedule in the URL');
    }
    body = { ...body, schedule_id: pathScheduleId };
  }
  const input = parseOr400(OptimizeRequestSchema, body);
  const db = ctx.storage.db;
  const schedule = await requireSchedule(db, accountId, input.schedule_id);
  checkConstraints(input.constraints, schedule.timezone);
  const items = await itemsOf(db, accountId, schedule.id);
  const constraints: Constraints = { ...(input.constraints ?? {}) };
  if (input.targets) {
    // Targets name the items the caller wants moved; every other item stays where it is.
    const targeted = new Set<string>();
    const details: ErrorDetail[] = [];
    input.targets.forEach((target, index) => {
      const match = items.find((item) => item.content_id === target.content_id && item.platform === target.platform);
      if (!match) {
        details.push({ path: `targets[${index}]`, message: `no item with content_id ${target.content_id} on ${target.platform} in this schedule` });
        return;
      }
      if (canonicalInstant(target.current_scheduled_time).ms !== Number(match.scheduled_at_ms)) {
        throw new ApiError(
          'conflict',
          `targets[${index}]: item ${match.id} is now at ${match.scheduled_time}, not ${target.current_scheduled_time}`,
          [{ path: `targets[${index}].current_scheduled_time`, message: `the item is now at ${match.scheduled_time}` }],
          409,
          { item_id: match.id, current: itemJson(match) },
        );
      }
      targeted.add(match.content_id);
    });
    if (details[0]) throw new ApiError('validation_failed', `${details[0].path}: ${details[0].message}`, details);
    const locked = new Set(constraints.locked_content_ids ?? []);
    for (const item of items) if (!targeted.has(item.content_id)) locked.add(item.content_id);
    constraints.locked_content_ids = [...locked];
  }
  const versions = new Map(items.map((item) => [item.id, Number(item.version)]));
  const id = newId('opt', ctx.clock.now());
  const nowIso = new Date(ctx.clock.now()).toISOString();
  const baseRow: OptimizationsTable = {
    id,
    account_id: accountId,
    schedule_id: schedule.id,
    status: 'queued',
    apply_requested: input.apply ? 1 : 0,
    request: JSON.stringify(input),
    result: null,
    item_versions: '{}',
    applied_item_ids: '[]',
    created_at: nowIso,
    updated_at: nowIso,
  };
  const run = async () => {
    const history = await loadHistory(db, accountId, ctx.clock.now());
    return optimize({
      items: items.map(toCalendarItem),
      timezone: schedule.timezone,
      constraints,
      history,
      now: ctx.clock.now(),
      timeBudgetMs: OPTIMIZE_TIME_BUDGET_MS,
    });
  };

  if (items.length > asyncThreshold) {
    await db.insertInto('optimizations').values(baseRow).execute();
    jobs.track(
      (async () => {
        try {
          const output = await run();
          await storeAndMaybeApply(ctx, accountId, baseRow, output, versions, input.apply);
        } catch (error) {
          const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
          const failed: OptimizationResult = {
            optimization_id: id,
            schedule_id: schedule.id,
            status: 'failed',
            error: { code: error instanceof ApiError ? error.code : 'internal', message },
          };
          await writeTransaction(ctx, accountId, async (trx, emit, now) => {
            await trx.updateTable('optimizations').set({ status: 'failed', result: JSON.stringify(failed), updated_at: now }).where('id', '=', id).execute();
            await emit({ type: 'optimization.completed', schedule_id: schedule.id, data: failed });
          }).catch(() => undefined);
        }
      })(),
    );
    return { status: 202, body: { optimization_id: id, schedule_id: schedule.id, status: 'queued' } };
  }
  const output = await run();
  return { status: 200, body: await storeAndMaybeApply(ctx, accountId, baseRow, output, versions, input.apply, true) };
}

async function storeAndMaybeApply(
  ctx: ServerContext,
  accountId: string,
  row: OptimizationsTable,
  output: OptimizeOutput,
  versions: Map<string, number>,
  apply: boolean,
  insert = false,
): Promise<OptimizeAnswer['body']> {
  const proposalVersions: Record<string, number> = {};
  for (const change of output.changes) {
    const version = versions.get(change.item_id);
    if (version !== undefined) proposalVersions[change.item_id] = version;
  }
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso) => {
    const result = resultBody(row.id, row.schedule_id, output, false);
    const stored = { ...row, status: output.status, result: JSON.stringify(result), item_versions: JSON.stringify(proposalVersions), updated_at: nowIso };
    if (insert) await trx.insertInto('optimizations').values(stored).execute();
    else await trx.updateTable('optimizations').set(stored).where('id', '=', row.id).where('account_id', '=', accountId).execute();
    await emit({ type: 'optimization.completed', schedule_id: row.schedule_id, data: result });
    if (!apply || output.status !== 'completed' || output.changes.length === 0) return result;
    const applied = await applyChanges(rowLocks(ctx), trx, emit, accountId, stored, output.changes, proposalVersions, [], nowIso);
    return { ...result, applied: true, applied_item_ids: applied.map((i) => i.id), items: applied };
  });
}

async function applyChanges(
  lock: boolean,
  trx: Transaction<Database>,
  emit: Emit,
  accountId: string,
  row: OptimizationsTable,
  changes: OptimizationChange[],
  proposalVersions: Record<string, number>,
  alreadyApplied: string[],
  nowIso: string,
): Promise<Item[]> {
  const updated: Item[] = [];
  for (const change of changes) {
    const item = await findItem(trx, accountId, row.schedule_id, change.item_id, lock);
    const expected = proposalVersions[change.item_id];
    if (!item || expected === undefined || Number(item.version) !== expected || item.status !== 'scheduled') {
      // Throwing rolls back every change of this apply: all or nothing.
      throw new ApiError(
        'conflict',
        `item ${change.item_id} changed since this optimization was proposed; run the optimization again`,
        [{ path: 'item_ids', message: `item ${change.item_id} changed since the proposal` }],
        409,
        { item_id: change.item_id, ...(item ? { current: itemJson(item) } : {}) },
      );
    }
    const when = canonicalInstant(change.proposed_time);
    const version = Number(item.version) + 1;
    const moved = await trx
      .updateTable('items')
      .set({ scheduled_time: when.iso, scheduled_at_ms: when.ms, version, updated_at: nowIso })
      .where('id', '=', item.id)
      .where('account_id', '=', accountId)
      .where('version', '=', Number(item.version))
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) {
      // A concurrent writer (or apply) got there between our read and our write.
      throw new ApiError('conflict', `item ${change.item_id} changed while this optimization was being applied; run it again`, [
        { path: 'item_ids', message: `item ${change.item_id} changed during the apply` },
      ], 409, { item_id: change.item_id });
    }
    const json = itemJson({ ...item, scheduled_time: when.iso, version, updated_at: nowIso });
    updated.push(json);
    await emit({
      type: 'item.rescheduled',
      schedule_id: row.schedule_id,
      data: { ...json, previous_scheduled_time: item.scheduled_time, optimization_id: row.id, changed: ['scheduled_time'] },
    });
  }
  if (updated.length > 0) {
    await touchSchedule(trx, accountId, row.schedule_id, nowIso);
    await trx
      .updateTable('optimizations')
      .set({ applied_item_ids: JSON.stringify([...alreadyApplied, ...updated.map((i) => i.id)]), updated_at: nowIso })
      .where('id', '=', row.id)
      .where('account_id', '=', accountId)
      .execute();
  }
  return updated;
}

export async function getOptimization(ctx: ServerContext, accountId: string, id: string): Promise<OptimizeAnswer['body']> {
  const row = await ctx.storage.db.selectFrom('optimizations').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  if (!row) throw ApiError.notFound(`optimization ${id}`);
  const applied = parseStored<string[]>(row.applied_item_ids, []);
  const result = parseStored<OptimizationResult>(row.result, { optimization_id: row.id, schedule_id: row.schedule_id, status: row.status });
  return { ...result, status: row.status, applied: applied.length > 0, applied_item_ids: applied };
}

export async function applyOptimization(ctx: ServerContext, accountId: string, id: string, body: unknown): Promise<OptimizeAnswer['body']> {
  const input = parseOr400(ApplyOptimizationSchema, body === undefined ? {} : body);
  return writeTransaction(ctx, accountId, async (trx, emit, nowIso) => {
    const row = await trx
      .selectFrom('optimizations')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      // Two applies of one proposal run one after the other, the second seeing what the first did.
      .$if(rowLocks(ctx), (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row) throw ApiError.notFound(`optimization ${id}`);
    if (row.status !== 'completed') throw new ApiError('conflict', `optimization ${id} is ${row.status}; only a completed proposal can be applied`);
    const result = parseStored<OptimizationResult>(row.result, { optimization_id: id, schedule_id: row.schedule_id, status: row.status });
    const changes = result.changes ?? [];
    const alreadyApplied = parseStored<string[]>(row.applied_item_ids, []);
    let wanted = changes;
    if (input.item_ids) {
      const details: ErrorDetail[] = [];
      input.item_ids.forEach((itemId, index) => {
        if (!changes.some((c) => c.item_id === itemId)) details.push({ path: `item_ids[${index}]`, message: `item ${itemId} is not part of this proposal` });
      });
      if (details[0]) throw new ApiError('validation_failed', `${details[0].path}: ${details[0].message}`, details);
      const ids = new Set(input.item_ids);
      wanted = changes.filter((c) => ids.has(c.item_id));
    }
    wanted = wanted.filter((c) => !alreadyApplied.includes(c.item_id));
    const versions = parseStored<Record<string, number>>(row.item_versions, {});
    const items = await applyChanges(rowLocks(ctx), trx, emit, accountId, row, wanted, versions, alreadyApplied, nowIso);
    const appliedIds = [...alreadyApplied, ...items.map((i) => i.id)];
    return { ...result, applied: appliedIds.length > 0, applied_item_ids: appliedIds, items };
  });
}
