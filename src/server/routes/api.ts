/**
 * The /api/v1 routes. Handlers are thin: read the request, call an operation in ./ops, shape
 * the answer. Every operation is scoped by the authenticated account.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InstantSchema } from '../../shared/api/common';
import { TokenRequestSchema, type Schedule } from '../../shared/api/resources';
import type { ServerContext } from '../context';
import { ApiError, parseOr400 } from '../errors';
import { principalCacheFor } from '../http/principal-cache';
import { accountOf } from '../http/request';
import type { ResolvedHttpOptions } from '../http/options';
import { findSchedule, itemCounts, itemJson, itemsOf, itemsOfSchedules, listSchedules, scheduleJson, scheduleMetrics, tallyOf, type ItemTally, type ScheduleRow } from '../storage/calendar';
import { grantFromApiKey, grantFromRefreshToken } from '../storage/tokens';
import { runBatch } from './ops/batch';
import { addItems, canonicalInstant, createSchedule, deleteItem, deleteSchedule, patchItem, patchSchedule } from './ops/calendar';
import { parseIfMatch } from './ops/common';
import { getHeatmap, getRecommendations, ingestMetrics, intParam, listParam, singleParam } from './ops/insights';
import { applyOptimization, getOptimization, OptimizationJobs, optimizeSchedule } from './ops/optimize';
import { PLATFORM_DEFAULTS } from './platforms';

type Params = { id: string; itemId: string };
type Query = Record<string, unknown>;

const ListQuerySchema = z.object({
  from: InstantSchema.optional(),
  to: InstantSchema.optional(),
  updated_since: InstantSchema.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ after: id }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof decoded.after === 'string' && decoded.after.length <= 64) return decoded.after;
  } catch {
    // fall through
  }
  throw new ApiError('validation_failed', 'cursor: not a cursor this server issued', [{ path: 'cursor', message: 'invalid cursor' }]);
}

const EXPANSIONS = ['items', 'metrics'] as const;

function parseExpand(query: Query): Set<string> {
  const wanted = listParam(query, 'expand') ?? [];
  wanted.forEach((value, index) => {
    if (!(EXPANSIONS as readonly string[]).includes(value)) {
      throw new ApiError('validation_failed', `expand: unknown expansion ${JSON.stringify(value)} (expected items, metrics)`, [
        { path: `expand[${index}]`, message: 'expected items or metrics' },
      ]);
    }
  });
  return new Set(wanted);
}

/**
 * A list page with `expand=items` holds whole schedules and at most this many items (always at
 * least one schedule, which holds at most LIMITS.maxItemsPerSchedule), so a page stays a few MB.
 */
export const LIST_PAGE_MAX_ITEMS = 10_000;

/** The list takes `expand=items` only: metrics cost a query per schedule, so they stay on GET by id. */
function parseListExpand(query: Query): boolean {
  const wanted = parseExpand(query);
  if (wanted.has('metrics')) {
    throw new ApiError('validation_failed', 'expand: metrics is only available on GET /scheduling/calendar/{id}', [
      { path: 'expand', message: 'only items can be expanded in a list' },
    ]);
  }
  return wanted.has('items');
}

/** The schedules of a page that fit the item budget (a prefix, at least one). */
function withinItemBudget(page: ScheduleRow[], counts: Map<string, ItemTally>): ScheduleRow[] {
  let total = 0;
  let kept = 0;
  for (const row of page) {
    total += counts.get(row.id)?.total ?? 0;
    if (kept > 0 && total > LIST_PAGE_MAX_ITEMS) break;
    kept += 1;
  }
  return page.slice(0, kept);
}

/** `ETag: "<version>"`, so a client can send it back as If-Match as is. */
function withVersion<T extends { version: number }>(reply: FastifyReply, resource: T): T {
  reply.header('etag', `"${resource.version}"`);
  return resource;
}

export function apiRoutes(app: FastifyInstance, ctx: ServerContext, options: ResolvedHttpOptions): void {
  const jobs = new OptimizationJobs();
  app.addHook('onClose', async () => jobs.drain());
  const ifMatch = (request: FastifyRequest) => parseIfMatch(request.headers['if-match']);
  const base = '/api/v1';

  // ------------------------------------------------------------------ auth
  app.post(`${base}/auth/token`, { config: { public: true } }, async (request, reply) => {
    const input = parseOr400(TokenRequestSchema, request.body);
    const ttls = options;
    const now = ctx.clock.now();
    if (input.grant_type === 'api_key') {
      const tokens = await grantFromApiKey(ctx.storage.db, input.api_key, ttls, now);
      if (!tokens) throw new ApiError('unauthorized', 'the API key is not valid');
      return reply.header('cache-control', 'no-store').send(tokens);
    }
    const outcome = await grantFromRefreshToken(ctx.storage.db, input.refresh_token, ttls, now);
    if (!outcome.ok) {
      // A reused token revoked its family: forget every cached credential right away.
      if (outcome.reason === 'reused') principalCacheFor(ctx).clear();
      const why = {
        unknown: 'the refresh token is not valid',
        expired: 'the refresh token has expired',
        revoked: 'the refresh token was revoked',
        reused: 'the refresh token was already used; every token of this session is now revoked',
      }[outcome.reason];
      throw new ApiError('unauthorized', why);
    }
    return reply.header('cache-control', 'no-store').send(outcome.tokens);
  });

  // ------------------------------------------------------------------ platforms
  app.get(`${base}/scheduling/platforms`, async (_request, reply) =>
    reply.header('cache-control', 'private, max-age=3600').send({ data: PLATFORM_DEFAULTS }),
  );

  // ------------------------------------------------------------------ calendar
  app.post(`${base}/scheduling/calendar`, async (request, reply) => {
    const schedule = withVersion(reply, await createSchedule(ctx, accountOf(request), request.body));
    return reply.status(201).header('location', `${base}/scheduling/calendar/${schedule.id}`).send(schedule);
  });

  app.get(`${base}/scheduling/calendar`, async (request) => {
    const accountId = accountOf(request);
    const query = request.query as Query;
    const expandItems = parseListExpand(query);
    const input = parseOr400(ListQuerySchema, {
      from: singleParam(query, 'from'),
      to: singleParam(query, 'to'),
      updated_since: singleParam(query, 'updated_since', 'updatedSince'),
      cursor: singleParam(query, 'cursor'),
      limit: intParam(singleParam(query, 'limit')),
    });
    const rows = await listSchedules(ctx.storage.db, accountId, {
      fromMs: input.from ? canonicalInstant(input.from).ms : undefined,
      toMs: input.to ? canonicalInstant(input.to).ms : undefined,
      updatedSince: input.updated_since ? new Date(canonicalInstant(input.updated_since).ms).toISOString() : undefined,
      afterId: input.cursor ? decodeCursor(input.cursor) : undefined,
      limit: input.limit + 1,
    });
    const full = rows.slice(0, input.limit);
    const counts = await itemCounts(ctx.storage.db, accountId, full.map((r) => r.id));
    const page = expandItems ? withinItemBudget(full, counts) : full;
    const last = page[page.length - 1];
    const next_cursor = (rows.length > input.limit || page.length < full.length) && last ? encodeCursor(last.id) : null;
    if (!expandItems) return { data: page.map((row) => scheduleJson(row, counts.get(row.id))), next_cursor };
    // One query for the items of the whole page; the tally comes from them, so each schedule's
    // item_count and status agree with the items it carries.
    const items = await itemsOfSchedules(ctx.storage.db, accountId, page.map((r) => r.id));
    return {
      data: page.map((row) => {
        const own = items.get(row.id) ?? [];
        return { ...scheduleJson(row, tallyOf(own)), items: own.map(itemJson) };
      }),
      next_cursor,
    };
  });

  app.get<{ Params: Params }>(`${base}/scheduling/calendar/:id`, async (request, reply) => {
    const accountId = accountOf(request);
    const expand = parseExpand(request.query as Query);
    const row = await findSchedule(ctx.storage.db, accountId, request.params.id);
    if (!row) throw ApiError.notFound(`schedule ${request.params.id}`);
    const items = await itemsOf(ctx.storage.db, accountId, row.id);
    const schedule: Schedule = scheduleJson(row, tallyOf(items));
    if (expand.has('items')) schedule.items = items.map(itemJson);
    if (expand.has('metrics')) schedule.metrics = await scheduleMetrics(ctx.storage.db, accountId, row.id, items);
    return withVersion(reply, schedule);
  });

  app.patch<{ Params: Params }>(`${base}/scheduling/calendar/:id`, async (request, reply) =>
    withVersion(reply, await patchSchedule(ctx, accountOf(request), request.params.id, request.body, ifMatch(request))),
  );

  app.delete<{ Params: Params }>(`${base}/scheduling/calendar/:id`, async (request, reply) =>
    withVersion(reply, await deleteSchedule(ctx, accountOf(request), request.params.id, ifMatch(request))),
  );

  app.post<{ Params: Params }>(`${base}/scheduling/calendar/:id/items`, async (request, reply) => {
    const { items, single } = await addItems(ctx, accountOf(request), request.params.id, request.body);
    return reply.status(201).send(single ? items[0] : { data: items });
  });

  app.patch<{ Params: Params }>(`${base}/scheduling/calendar/:id/items/:itemId`, async (request, reply) =>
    withVersion(reply, await patchItem(ctx, accountOf(request), request.params.id, request.params.itemId, request.body, ifMatch(request))),
  );

  app.delete<{ Params: Params }>(`${base}/scheduling/calendar/:id/items/:itemId`, async (request) =>
    deleteItem(ctx, accountOf(request), request.params.id, request.params.itemId, ifMatch(request)),
  );

  // ------------------------------------------------------------------ optimization
  app.post(`${base}/scheduling/optimize`, async (request, reply) => {
    const answer = await optimizeSchedule(ctx, accountOf(request), request.body, jobs, options.optimizeAsyncThreshold);
    return reply.status(answer.status).send(answer.body);
  });

  app.post<{ Params: Params }>(`${base}/scheduling/calendar/:id/optimize`, async (request, reply) => {
    const answer = await optimizeSchedule(ctx, accountOf(request), request.body, jobs, options.optimizeAsyncThreshold, request.params.id);
    return reply.status(answer.status).send(answer.body);
  });

  app.get<{ Params: Params }>(`${base}/scheduling/optimizations/:id`, async (request) =>
    getOptimization(ctx, accountOf(request), request.params.id),
  );

  app.post<{ Params: Params }>(`${base}/scheduling/optimizations/:id/apply`, async (request) =>
    applyOptimization(ctx, accountOf(request), request.params.id, request.body),
  );

  // ------------------------------------------------------------------ insights
  app.get(`${base}/scheduling/recommendations`, async (request) => getRecommendations(ctx, accountOf(request), request.query as Query));
  app.get(`${base}/scheduling/recommendations/heatmap`, async (request) => getHeatmap(ctx, accountOf(request), request.query as Query));
  app.post(`${base}/scheduling/metrics`, async (request) => ingestMetrics(ctx, accountOf(request), request.body));

  // ------------------------------------------------------------------ batch
  app.post(`${base}/scheduling/batch`, async (request) =>
    runBatch(ctx, accountOf(request), request.body, jobs, options.optimizeAsyncThreshold, request.log),
  );
}
