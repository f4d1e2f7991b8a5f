/** Metrics ingest and the recommendation / heatmap reads that learn from it. */
import {
  MetricsIngestSchema,
  RecommendationQuerySchema,
  type Heatmap,
  type MetricObservation,
  type RecommendationList,
} from '../../../shared/api/resources';
import { PlatformSchema, TimeZoneSchema } from '../../../shared/api/common';
import { dstGapProblem, Temporal } from '../../../shared/time';
import type { ServerContext } from '../../context';
import { heatmap, recommend } from '../../engine/index';
import type { CalendarItem } from '../../engine/types';
import { parseOr400 } from '../../errors';
import { newId } from '../../storage/ids';
import { insertObservations, loadHistory } from '../../storage/metrics';
import { canonicalInstant } from './calendar';
import { validationError } from './common';
import { z } from 'zod';

export const MAX_HORIZON_DAYS = 90;

export async function ingestMetrics(ctx: ServerContext, accountId: string, body: unknown): Promise<{ accepted: number; duplicates: number }> {
  const parsed = parseOr400(MetricsIngestSchema, body);
  const list: MetricObservation[] = Array.isArray(parsed) ? parsed : [parsed];
  const nowMs = ctx.clock.now();
  const createdAt = new Date(nowMs).toISOString();
  const rows = list.map((obs) => {
    const when = canonicalInstant(obs.published_at);
    return {
      id: newId('obs', nowMs),
      account_id: accountId,
      content_id: obs.content_id,
      platform: obs.platform,
      channel: obs.channel ?? null,
      published_at: when.iso,
      published_at_ms: when.ms,
      impressions: obs.impressions,
      engagements: obs.engagements,
      breakdowns: obs.breakdowns ? JSON.stringify(obs.breakdowns) : null,
      created_at: createdAt,
    };
  });
  const accepted = await ctx.storage.db.transaction().execute((trx) => insertObservations(trx, rows));
  return { accepted, duplicates: rows.length - accepted };
}

type Query = Record<string, unknown>;

/** `a,b`, repeated `a&a`, and `a[]=` all mean a list. */
export function listParam(query: Query, name: string): string[] | undefined {
  const values: string[] = [];
  let seen = false;
  for (const key of [name, `${name}[]`]) {
    const raw = query[key];
    if (raw === undefined) continue;
    seen = true;
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      for (const part of String(value).split(',')) {
        const trimmed = part.trim();
        if (trimmed) values.push(trimmed);
      }
    }
  }
  return seen ? values : undefined;
}

export function singleParam(query: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const raw = query[name];
    if (raw === undefined) continue;
    return Array.isArray(raw) ? String(raw[raw.length - 1]) : String(raw);
  }
  return undefined;
}

/** Query strings are text; integers are converted so zod reports range errors by name. */
export function intParam(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value;
}

export async function getRecommendations(ctx: ServerContext, accountId: string, query: Query): Promise<RecommendationList> {
  const input = parseOr400(RecommendationQuerySchema, {
    platforms: listParam(query, 'platforms') ?? listParam(query, 'platform'),
    target_count: intParam(singleParam(query, 'target_count', 'targetCount')),
    timezone: singleParam(query, 'timezone'),
    start: singleParam(query, 'start'),
    end: singleParam(query, 'end'),
    duration_minutes: intParam(singleParam(query, 'duration_minutes', 'durationMinutes')),
  });
  for (const field of ['start', 'end'] as const) {
    const value = input[field];
    const problem = value ? dstGapProblem(value, input.timezone) : undefined;
    if (problem) throw validationError(field, problem);
  }
  const nowMs = ctx.clock.now();
  const startMs = input.start ? canonicalInstant(input.start).ms : nowMs;
  const endMs = input.end ? canonicalInstant(input.end).ms : startMs + 7 * 24 * 3600_000;
  if (endMs <= startMs) throw validationError('end', 'end must be after start');
  if (endMs - startMs > MAX_HORIZON_DAYS * 24 * 3600_000) throw validationError('end', `the horizon is at most ${MAX_HORIZON_DAYS} days`);
  const platforms = [...new Set(input.platforms)];
  const db = ctx.storage.db;
  const [history, existingRows] = await Promise.all([
    loadHistory(db, accountId, nowMs, platforms),
    db
      .selectFrom('items')
      .select(['id', 'content_id', 'platform', 'channel', 'scheduled_time', 'status'])
      .where('account_id', '=', accountId)
      .where('status', 'in', ['scheduled', 'processing'])
      // A day of margin either side: spacing rules reach across the horizon's edges.
      .where('scheduled_at_ms', '>=', startMs - 24 * 3600_000)
      .where('scheduled_at_ms', '<', endMs + 24 * 3600_000)
      .limit(20_000)
      .execute(),
  ]);
  const existing: CalendarItem[] = existingRows.map((row) => ({ ...row, platform: row.platform as CalendarItem['platform'] }));
  const output = recommend({
    platforms,
    targetCount: input.target_count,
    timezone: input.timezone,
    start: Temporal.Instant.fromEpochMilliseconds(startMs).toString(),
    end: Temporal.Instant.fromEpochMilliseconds(endMs).toString(),
    durationMinutes: input.duration_minutes,
    history,
    existing,
    now: nowMs,
  });
  return {
    data: output.data,
    meta: { timezone: input.timezone, generated_at: new Date(nowMs).toISOString(), model_version: output.modelVersion },
  };
}

const HeatmapQuerySchema = z.object({ platform: PlatformSchema, timezone: TimeZoneSchema.default('UTC') });

export async function getHeatmap(ctx: ServerContext, accountId: string, query: Query): Promise<Heatmap> {
  const input = parseOr400(HeatmapQuerySchema, {
    platform: singleParam(query, 'platform') ?? listParam(query, 'platforms')?.[0],
    timezone: singleParam(query, 'timezone'),
  });
  const nowMs = ctx.clock.now();
  const history = await loadHistory(ctx.storage.db, accountId, nowMs, [input.platform]);
  return heatmap({ platform: input.platform, timezone: input.timezone, history, now: nowMs });
}
