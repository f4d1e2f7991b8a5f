/**
 * The engines' entry points, called by the server's routes.
 *
 * PLACEHOLDER MODEL: until the real engines land (issue: "The engines"), these answer with a
 * deliberately simple model named `placeholder-v0`: a flat platform prior and "keep every item
 * where it is". Responses say so in `model_version` / `solver.method`; nothing presents them as
 * the real recommendation or optimization engine.
 */
import { Temporal } from 'temporal-polyfill';
import type { HeatmapInput, HeatmapOutput, OptimizeInput, OptimizeOutput, RecommendInput, RecommendOutput } from './types';

export type * from './types';

export const PLACEHOLDER_MODEL_VERSION = 'placeholder-v0';

export function recommend(input: RecommendInput): RecommendOutput {
  const data: RecommendOutput['data'] = [];
  let cursor = Temporal.Instant.from(input.start).round({ smallestUnit: 'hour', roundingMode: 'ceil' });
  const end = Temporal.Instant.from(input.end);
  const stepHours = 24;
  while (data.length < input.targetCount && Temporal.Instant.compare(cursor, end) < 0) {
    for (const platform of input.platforms) {
      if (data.length >= input.targetCount) break;
      const windowEnd = cursor.add({ minutes: input.durationMinutes });
      data.push({
        id: `rec_${platform}_${cursor.epochMilliseconds}`,
        platform,
        window_start: cursor.toString(),
        window_end: windowEnd.toString(),
        score: 0.5,
        confidence: 0,
        reasons: ['Placeholder model: no engagement model is loaded yet'],
        basis: { kind: 'prior', sample_size: 0 },
      });
    }
    cursor = cursor.add({ hours: stepHours });
  }
  return { data, modelVersion: PLACEHOLDER_MODEL_VERSION };
}

export function heatmap(input: HeatmapInput): HeatmapOutput {
  return {
    platform: input.platform,
    timezone: input.timezone,
    grid: Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0.5)),
    basis: { kind: 'prior', sample_size: 0 },
    model_version: PLACEHOLDER_MODEL_VERSION,
  };
}

export async function optimize(input: OptimizeInput): Promise<OptimizeOutput> {
  const score = input.items.length * 0.5;
  return {
    status: 'completed',
    changes: [],
    objective: { before: score, after: score, uplift_pct: 0, upper_bound: score },
    violations_before: [],
    solver: { method: PLACEHOLDER_MODEL_VERSION, gap: 0, duration_ms: 0 },
  };
}
