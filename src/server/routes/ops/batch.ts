/** POST /scheduling/batch: up to 100 operations, each in its own transaction; one failure does not stop the rest. */
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { BatchRequestSchema } from '../../../shared/api/resources';
import type { ServerContext } from '../../context';
import { ApiError, parseOr400 } from '../../errors';
import { createSchedule, deleteItem, patchItem } from './calendar';
import { parseIfMatch } from './common';
import { optimizeSchedule, type OptimizationJobs } from './optimize';

export interface BatchResult {
  successful: Array<{ index: number; result: unknown }>;
  failed: Array<{ index: number; error: { code: string; message: string; details?: unknown[] } }>;
}

const ItemRefSchema = z.object({
  schedule_id: z.string().min(1).max(64).optional(),
  item_id: z.string().min(1).max(64),
  if_match: z.union([z.number().int().positive(), z.string()]).optional(),
});

async function resolveScheduleId(ctx: ServerContext, accountId: string, ref: z.infer<typeof ItemRefSchema>): Promise<string> {
  if (ref.schedule_id) return ref.schedule_id;
  const row = await ctx.storage.db
    .selectFrom('items')
    .select('schedule_id')
    .where('id', '=', ref.item_id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound(`item ${ref.item_id}`);
  return row.schedule_id;
}

export async function runBatch(
  ctx: ServerContext,
  accountId: string,
  body: unknown,
  jobs: OptimizationJobs,
  asyncThreshold: number,
  log: FastifyBaseLogger,
): Promise<BatchResult> {
  const input = parseOr400(BatchRequestSchema, body);
  const out: BatchResult = { successful: [], failed: [] };
  for (const [index, op] of input.operations.entries()) {
    try {
      let result: unknown;
      switch (op.type) {
        case 'create_schedule':
          result = await createSchedule(ctx, accountId, op.data);
          break;
        case 'optimize_schedule':
          result = (await optimizeSchedule(ctx, accountId, op.data, jobs, asyncThreshold)).body;
          break;
        case 'update_item': {
          const { schedule_id: _s, item_id: _i, if_match: _m, ...patch } = op.data;
          const ref = parseOr400(ItemRefSchema, { schedule_id: _s, item_id: _i, if_match: _m });
          const scheduleId = await resolveScheduleId(ctx, accountId, ref);
          result = await patchItem(ctx, accountId, scheduleId, ref.item_id, patch, parseIfMatch(ref.if_match?.toString()));
          break;
        }
        case 'delete_item': {
          const ref = parseOr400(ItemRefSchema.strict(), op.data);
          const scheduleId = await resolveScheduleId(ctx, accountId, ref);
          result = await deleteItem(ctx, accountId, scheduleId, ref.item_id, parseIfMatch(ref.if_match?.toString()));
          break;
        }
      }
      out.successful.push({ index, result });
    } catch (error) {
      if (error instanceof ApiError) {
        out.failed.push({ index, error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
      } else {
        log.error({ err: error, index }, 'batch operation failed');
        out.failed.push({ index, error: { code: 'internal', message: 'internal error' } });
      }
    }
  }
  return out;
}

