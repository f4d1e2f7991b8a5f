/**
 * The wire resources of the Scheduling Optimization API (../../../docs/api.md, v1).
 * Request schemas validate what a client sends; resource schemas describe what the server
 * answers, and the app's client parses every response with them.
 */
import { z } from 'zod';
import { IdSchema, InstantSchema, PlatformSchema, TimeZoneSchema } from './common';

export const HttpUrlSchema = z
  .string()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: 'expected an http(s) URL' },
  );

export const CallbacksSchema = z
  .object({
    on_published: HttpUrlSchema.optional(),
    on_failed: HttpUrlSchema.optional(),
  })
  .strict();
export type Callbacks = z.infer<typeof CallbacksSchema>;

export const MetadataSchema = z.record(z.string().max(100), z.unknown());

export const ChannelSchema = z.string().min(1).max(100);

// ---------------------------------------------------------------- health

export const HealthSchema = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  timestamp: z.string(),
  scheduling_service: z.enum(['available', 'unavailable']),
  database: z.string(),
  version: z.string(),
  failing: z.array(z.string()).optional(),
});
export type Health = z.infer<typeof HealthSchema>;

// ---------------------------------------------------------------- auth

export const TokenRequestSchema = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('api_key'), api_key: z.string().min(1).max(512) }),
  z.object({ grant_type: z.literal('refresh_token'), refresh_token: z.string().min(1).max(512) }),
]);
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().positive(),
  refresh_token: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

// ---------------------------------------------------------------- platforms

export const PlatformInfoSchema = z.object({
  id: PlatformSchema,
  name: z.string(),
  default_min_spacing_minutes: z.number().int().nonnegative(),
  default_max_per_day: z.number().int().positive(),
  default_duration_minutes: z.number().int().positive(),
});
export type PlatformInfo = z.infer<typeof PlatformInfoSchema>;
export const PlatformListSchema = z.object({ data: z.array(PlatformInfoSchema) });

// ---------------------------------------------------------------- schedules and items

export const ITEM_STATUSES = ['scheduled', 'processing', 'published', 'failed', 'cancelled'] as const;
export const ItemStatusSchema = z.enum(ITEM_STATUSES);
export type ItemStatus = z.infer<typeof ItemStatusSchema>;

export const SCHEDULE_STATUSES = ['active', 'completed', 'cancelled'] as const;
export const ScheduleStatusSchema = z.enum(SCHEDULE_STATUSES);

export const NewItemSchema = z
  .object({
    content_id: z.string().min(1).max(200),
    platform: PlatformSchema,
    channel: ChannelSchema.optional(),
    scheduled_time: InstantSchema,
    metadata: MetadataSchema.optional(),
    callbacks: CallbacksSchema.optional(),
  })
  .strict();
export type NewItem = z.infer<typeof NewItemSchema>;

export const ItemPatchSchema = z
  .object({
    scheduled_time: InstantSchema.optional(),
    metadata: MetadataSchema.optional(),
    callbacks: CallbacksSchema.optional(),
  })
  .strict();
export type ItemPatch = z.infer<typeof ItemPatchSchema>;

/** Documented limits (docs/api.md); the server enforces them and the UI shows them. */
export const LIMITS = {
  maxItemsPerSchedule: 5000,
  maxItemsPerRequest: 1000,
  maxBodyBytes: 2 * 1024 * 1024,
  maxBatchOperations: 100,
  maxTitleLength: 200,
  idempotencyKeyMaxLength: 255,
} as const;

export const CreateScheduleSchema = z
  .object({
    title: z.string().trim().min(1).max(LIMITS.maxTitleLength),
    timezone: TimeZoneSchema.default('UTC'),
    items: z.array(NewItemSchema).min(1, 'at least one item is required').max(LIMITS.maxItemsPerRequest),
    processing_deadline_ms: z.number().int().min(60_000).max(7 * 24 * 3600_000).optional(),
  })
  .strict();
export type CreateSchedule = z.input<typeof CreateScheduleSchema>;

export const SchedulePatchSchema = z
  .object({
    title: z.string().trim().min(1).max(LIMITS.maxTitleLength).optional(),
    timezone: TimeZoneSchema.optional(),
    processing_deadline_ms: z.number().int().min(60_000).max(7 * 24 * 3600_000).optional(),
  })
  .strict();
export type SchedulePatch = z.infer<typeof SchedulePatchSchema>;

export const ItemSchema = z.object({
  id: IdSchema,
  schedule_id: IdSchema,
  content_id: z.string(),
  platform: PlatformSchema,
  channel: z.string(),
  scheduled_time: z.string(),
  status: ItemStatusSchema,
  metadata: z.record(z.string(), z.unknown()),
  callbacks: z.object({ on_published: z.string().optional(), on_failed: z.string().optional() }),
  attempts: z.number().int().nonnegative(),
  published_at: z.string().nullable().optional(),
  failure_reason: z.string().nullable().optional(),
  version: z.number().int().positive(),
  updated_at: z.string(),
});
export type Item = z.infer<typeof ItemSchema>;

export const ScheduleMetricsSchema = z.object({
  total_items: z.number().int(),
  by_status: z.record(z.string(), z.number().int()),
  impressions: z.number().nonnegative().optional(),
  engagements: z.number().nonnegative().optional(),
});

export const ScheduleSchema = z.object({
  id: IdSchema,
  title: z.string(),
  timezone: z.string(),
  status: ScheduleStatusSchema,
  processing_deadline_ms: z.number().int(),
  version: z.number().int().positive(),
  item_count: z.number().int().nonnegative(),
  created_at: z.string(),
  updated_at: z.string(),
  items: z.array(ItemSchema).optional(),
  metrics: ScheduleMetricsSchema.optional(),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

export const ScheduleListSchema = z.object({
  data: z.array(ScheduleSchema),
  next_cursor: z.string().nullable(),
});
export type ScheduleList = z.infer<typeof ScheduleListSchema>;

// ---------------------------------------------------------------- metrics ingest

export const MetricObservationSchema = z
  .object({
    content_id: z.string().min(1).max(200),
    platform: PlatformSchema,
    channel: ChannelSchema.optional(),
    published_at: InstantSchema,
    impressions: z.number().int().nonnegative(),
    engagements: z.number().int().nonnegative(),
    breakdowns: z.record(z.string(), z.number()).optional(),
  })
  .strict();
export type MetricObservation = z.infer<typeof MetricObservationSchema>;

export const MetricsIngestSchema = z.union([
  MetricObservationSchema,
  z.array(MetricObservationSchema).min(1).max(10_000),
]);
export const MetricsIngestResultSchema = z.object({
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
});

// ---------------------------------------------------------------- recommendations

export const RecommendationBasisSchema = z.object({
  kind: z.enum(['history', 'prior', 'blend']),
  sample_size: z.number().int().nonnegative(),
});
export type RecommendationBasis = z.infer<typeof RecommendationBasisSchema>;

export const RecommendationSchema = z.object({
  id: z.string(),
  platform: PlatformSchema,
  window_start: z.string(),
  window_end: z.string(),
  score: z.number().min(0).max(1),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string()),
  basis: RecommendationBasisSchema,
});
export type Recommendation = z.infer<typeof RecommendationSchema>;

export const RecommendationListSchema = z.object({
  data: z.array(RecommendationSchema),
  meta: z.object({
    timezone: z.string(),
    generated_at: z.string(),
    model_version: z.string(),
  }),
});
export type RecommendationList = z.infer<typeof RecommendationListSchema>;

export const RecommendationQuerySchema = z.object({
  platforms: z.array(PlatformSchema).min(1, 'at least one platform is required'),
  target_count: z.number().int().min(1).max(100).default(10),
  timezone: TimeZoneSchema.default('UTC'),
  start: InstantSchema.optional(),
  end: InstantSchema.optional(),
  duration_minutes: z.number().int().min(5).max(24 * 60).default(60),
});
export type RecommendationQuery = z.input<typeof RecommendationQuerySchema>;

export const HeatmapSchema = z.object({
  platform: PlatformSchema,
  timezone: z.string(),
  /** 7 rows (Monday … Sunday) × 24 local hours, scores in 0..1. */
  grid: z.array(z.array(z.number().min(0).max(1)).length(24)).length(7),
  basis: RecommendationBasisSchema,
  model_version: z.string(),
});
export type Heatmap = z.infer<typeof HeatmapSchema>;

// ---------------------------------------------------------------- optimization

export const BlackoutSchema = z
  .object({
    start: InstantSchema,
    end: InstantSchema,
    platforms: z.array(PlatformSchema).optional(),
  })
  .strict();

export const ConstraintsSchema = z
  .object({
    min_spacing_minutes: z.number().int().min(0).max(7 * 24 * 60).optional(),
    max_per_day: z.number().int().min(1).max(100).optional(),
    blackout: z.array(BlackoutSchema).max(500).optional(),
    earliest: InstantSchema.optional(),
    latest: InstantSchema.optional(),
    max_shift_minutes: z.number().int().min(0).max(60 * 24 * 60).optional(),
    locked_content_ids: z.array(z.string()).max(LIMITS.maxItemsPerSchedule).optional(),
  })
  .strict();
export type Constraints = z.infer<typeof ConstraintsSchema>;

export const OptimizeRequestSchema = z
  .object({
    schedule_id: IdSchema,
    targets: z
      .array(
        z.object({
          content_id: z.string().min(1),
          platform: PlatformSchema,
          current_scheduled_time: InstantSchema,
        }),
      )
      .optional(),
    constraints: ConstraintsSchema.optional(),
    apply: z.boolean().default(false),
  })
  .strict();
export type OptimizeRequest = z.input<typeof OptimizeRequestSchema>;

export const OptimizationChangeSchema = z.object({
  item_id: z.string(),
  content_id: z.string(),
  platform: PlatformSchema,
  current_scheduled_time: z.string(),
  proposed_time: z.string(),
  score_before: z.number(),
  score_after: z.number(),
  delta: z.number(),
  reasons: z.array(z.string()),
});
export type OptimizationChange = z.infer<typeof OptimizationChangeSchema>;

export const ViolationSchema = z.object({
  constraint: z.string(),
  item_ids: z.array(z.string()),
  message: z.string(),
});
export type Violation = z.infer<typeof ViolationSchema>;

export const OptimizationResultSchema = z.object({
  optimization_id: z.string(),
  schedule_id: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'infeasible']),
  applied: z.boolean().optional(),
  objective: z
    .object({
      before: z.number(),
      after: z.number(),
      uplift_pct: z.number(),
      upper_bound: z.number(),
    })
    .optional(),
  changes: z.array(OptimizationChangeSchema).optional(),
  violations_before: z.array(ViolationSchema).optional(),
  solver: z
    .object({
      method: z.string(),
      gap: z.number(),
      duration_ms: z.number(),
    })
    .optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type OptimizationResult = z.infer<typeof OptimizationResultSchema>;

export const ApplyOptimizationSchema = z.object({ item_ids: z.array(z.string()).optional() }).strict();

// ---------------------------------------------------------------- batch

export const BatchRequestSchema = z
  .object({
    operations: z
      .array(
        z.object({
          type: z.enum(['create_schedule', 'optimize_schedule', 'update_item', 'delete_item']),
          data: z.record(z.string(), z.unknown()),
        }),
      )
      .min(1)
      .max(LIMITS.maxBatchOperations),
  })
  .strict();

export const BatchResultSchema = z.object({
  successful: z.array(z.object({ index: z.number().int(), result: z.unknown() })),
  failed: z.array(
    z.object({
      index: z.number().int(),
      error: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()).optional() }),
    }),
  ),
});
