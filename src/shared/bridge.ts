/**
 * The bridge between the renderer and the main process: the one contract both transports
 * (Electron IPC and the web host's loopback WebSocket) carry. Main validates every call's input
 * with these schemas; the renderer validates every output and event before using it.
 */
import { z } from 'zod';
import { ApiKeyInfoSchema, WebhookConfigSchema, WebhookUrlSchema } from './api/account';
import { ErrorDetailSchema, IdSchema, InstantSchema, PlatformSchema, TimeZoneSchema } from './api/common';
import {
  ConstraintsSchema,
  CreateScheduleSchema,
  HeatmapSchema,
  ItemPatchSchema,
  ItemSchema,
  MetricsIngestResultSchema,
  NewItemSchema,
  OptimizationResultSchema,
  RecommendationListSchema,
  RecommendationQuerySchema,
  SchedulePatchSchema,
  ScheduleSchema,
  ViolationSchema,
} from './api/resources';

// ---------------------------------------------------------------- shared payloads

export const EngineModeSchema = z.enum(['embedded', 'remote']);
export type EngineMode = z.infer<typeof EngineModeSchema>;

/** The engine connection as the main process sees it. */
export const EngineStatusSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('connecting'),
    mode: EngineModeSchema,
    url: z.string().nullable(),
    since: z.string(),
  }),
  z.object({
    state: z.literal('connected'),
    mode: EngineModeSchema,
    url: z.string(),
    version: z.string(),
    since: z.string(),
  }),
  z.object({
    state: z.literal('offline'),
    mode: EngineModeSchema,
    url: z.string().nullable(),
    since: z.string(),
    reason: z.string(),
  }),
]);
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

export const ThemeSchema = z.enum(['system', 'light', 'dark']);

export const NotificationPrefsSchema = z.object({
  enabled: z.boolean().default(true),
  published: z.boolean().default(true),
  failed: z.boolean().default(true),
  /** Remind this many minutes before an item is due; 0 turns reminders off. */
  dueSoonMinutes: z.number().int().min(0).max(24 * 60).default(15),
});

export const SettingsSchema = z.object({
  theme: ThemeSchema,
  /** null = follow the operating system's zone. */
  displayTimeZone: TimeZoneSchema.nullable(),
  notifications: NotificationPrefsSchema.default({ enabled: true, published: true, failed: true, dueSoonMinutes: 15 }),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsPatchSchema = z
  .object({ theme: ThemeSchema, displayTimeZone: TimeZoneSchema.nullable(), notifications: NotificationPrefsSchema })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  host: z.enum(['electron', 'web']),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** A notification the main process raises (toasts in the web host, native ones in Electron). */
export const NotificationPayloadSchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  kind: z.enum(['published', 'failed', 'due_soon', 'info']),
});
export type NotificationPayload = z.infer<typeof NotificationPayloadSchema>;

const Empty = z.object({}).strict();

// ---------------------------------------------------------------- connection, sync, freshness

export const ConnectionInfoSchema = z.object({
  mode: EngineModeSchema,
  apiUrl: z.string().nullable(),
  hasApiKey: z.boolean(),
  hasSigningSecret: z.boolean(),
  /** Why secrets cannot be stored on this machine (then remote mode cannot be saved), or null. */
  secretStoreProblem: z.string().nullable(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfoSchema>;

export const RemoteConnectionInputSchema = z
  .object({
    apiUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2048),
    apiKey: z.string().min(8).max(512),
    signingSecret: z.string().min(8).max(512).optional(),
  })
  .strict();

export const ConnectionUpdateSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('embedded') }).strict(),
  z
    .object({
      mode: z.literal('remote'),
      apiUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2048),
      /** Omitted = keep the stored key. */
      apiKey: z.string().min(8).max(512).optional(),
      signingSecret: z.string().min(8).max(512).nullable().optional(),
    })
    .strict(),
]);

export const ConnectionTestResultSchema = z.object({
  ok: z.boolean(),
  version: z.string().optional(),
  message: z.string(),
});

export const LiveStateSchema = z.enum(['live', 'reconnecting', 'offline']);
export const BreakerStateSchema = z.enum(['closed', 'open', 'half_open']);

export const SyncStatusSchema = z.object({
  live: LiveStateSchema,
  /** When the app last lost the server (null while live). */
  offlineSince: z.string().nullable(),
  /** When the cache last matched the server. */
  lastSyncedAt: z.string().nullable(),
  pendingCount: z.number().int().nonnegative(),
  parkedCount: z.number().int().nonnegative(),
  breaker: BreakerStateSchema,
  lastError: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatusSchema>;

/** Every read answers from the cache at once and says how fresh that answer is. */
export function freshSchema<T extends z.ZodType>(data: T) {
  return z.object({
    data,
    /** When this data was last confirmed by the server; null = never (only local). */
    fetchedAt: z.string().nullable(),
    stale: z.boolean(),
    source: z.enum(['cache', 'network']),
  });
}

/** An item as the calendar shows it: the server's item, its schedule, and local sync state. */
export const CalendarItemSchema = ItemSchema.extend({
  schedule_title: z.string(),
  schedule_timezone: z.string(),
  /** A local change not yet confirmed by the server (outbox). */
  pending: z.boolean(),
});
export type CalendarItem = z.infer<typeof CalendarItemSchema>;

/**
 * An item as a calendar range lists it: what the calendar, its details panel, reminders and the
 * tray show. The free-form metadata stays in the cache (schedules.get has it): a month of 4,000
 * posts is read from one index without parsing anyone's metadata. `title` is metadata.title when
 * that is a string.
 */
export const CalendarEventSchema = CalendarItemSchema.omit({ metadata: true, updated_at: true }).extend({
  title: z.string().nullable(),
});
export type CalendarEvent = z.infer<typeof CalendarEventSchema>;

export const ScheduleWithItemsSchema = ScheduleSchema.extend({
  items: z.array(CalendarItemSchema),
  pending: z.boolean(),
});

export const ScheduleSummarySchema = ScheduleSchema.omit({ items: true, metrics: true }).extend({
  pending: z.boolean(),
  counts: z.record(z.string(), z.number().int()),
});
export type ScheduleSummary = z.infer<typeof ScheduleSummarySchema>;

/** The answer to a write: what the cache holds now, and whether it still waits in the outbox. */
export const WriteResultSchema = z.object({
  queued: z.boolean(),
  outboxId: z.string().nullable(),
});

export const OutboxEntrySchema = z.object({
  id: z.string(),
  kind: z.enum(['create_schedule', 'update_schedule', 'delete_schedule', 'add_item', 'reschedule_item', 'update_item', 'cancel_item', 'apply_optimization']),
  summary: z.string(),
  status: z.enum(['pending', 'parked']),
  attempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  idempotencyKey: z.string(),
});
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

export const ActivityEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  type: z.string(),
  scheduleId: z.string().nullable(),
  itemId: z.string().nullable(),
  message: z.string(),
  tone: z.enum(['info', 'success', 'warning', 'danger']),
});
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;

/** A 409 on a versioned write: both sides, for the user to choose. Sent as error.data. */
export const ConflictDataSchema = z.object({
  kind: z.enum(['schedule', 'item']),
  id: z.string(),
  local: z.record(z.string(), z.unknown()),
  server: z.record(z.string(), z.unknown()).nullable(),
});

export const CsvRowReportSchema = z.object({
  line: z.number().int().positive(),
  ok: z.boolean(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })),
  /** The observation as it would be imported (present when ok). */
  observation: z
    .object({
      content_id: z.string(),
      platform: PlatformSchema,
      published_at: z.string(),
      impressions: z.number(),
      engagements: z.number(),
    })
    .optional(),
});

export const CsvPreviewSchema = z.object({
  rows: z.array(CsvRowReportSchema),
  validCount: z.number().int().nonnegative(),
  invalidCount: z.number().int().nonnegative(),
});

const MAX_CSV_BYTES = 5 * 1024 * 1024;

// ---------------------------------------------------------------- methods and events

export const bridgeMethods = {
  'app.info': { input: Empty, output: AppInfoSchema },
  'engine.status': { input: Empty, output: EngineStatusSchema },
  /** Stops the embedded engine (no-op in remote mode); used by settings and by tests. */
  'engine.stop': { input: Empty, output: EngineStatusSchema },
  'engine.start': { input: Empty, output: EngineStatusSchema },
  'settings.get': { input: Empty, output: SettingsSchema },
  'settings.update': { input: SettingsPatchSchema, output: SettingsSchema },
  /** Opens an https link in the user's browser after the main process checks it. */
  'system.openExternal': {
    input: z.object({ url: z.string().max(2048) }).strict(),
    output: z.object({ opened: z.boolean() }),
  },

  'connection.get': { input: Empty, output: ConnectionInfoSchema },
  /** Switches engine (embedded or remote) without restarting the app. */
  'connection.update': { input: ConnectionUpdateSchema, output: ConnectionInfoSchema },
  'connection.test': { input: RemoteConnectionInputSchema, output: ConnectionTestResultSchema },

  'sync.status': { input: Empty, output: SyncStatusSchema },
  /** Pulls changes now (deltas; a full resync when the cursor is too old). */
  'sync.now': { input: Empty, output: SyncStatusSchema },

  'schedules.list': { input: Empty, output: freshSchema(z.array(ScheduleSummarySchema)) },
  'schedules.get': { input: z.object({ id: IdSchema }).strict(), output: freshSchema(ScheduleWithItemsSchema) },
  'schedules.create': { input: CreateScheduleSchema, output: WriteResultSchema.extend({ scheduleId: z.string() }) },
  'schedules.update': {
    input: z.object({ id: IdSchema, patch: SchedulePatchSchema, expectedVersion: z.number().int().positive().optional() }).strict(),
    output: WriteResultSchema,
  },
  'schedules.delete': { input: z.object({ id: IdSchema }).strict(), output: WriteResultSchema },
  'schedules.exportIcs': { input: z.object({ id: IdSchema }).strict(), output: z.object({ filename: z.string(), content: z.string() }) },

  /** Items whose time falls in [from, to), across schedules (or the given ones). */
  'calendar.range': {
    input: z.object({ from: InstantSchema, to: InstantSchema, scheduleIds: z.array(IdSchema).max(500).optional() }).strict(),
    output: freshSchema(z.array(CalendarEventSchema)),
  },

  'items.add': { input: z.object({ scheduleId: IdSchema, item: NewItemSchema }).strict(), output: WriteResultSchema.extend({ itemId: z.string() }) },
  /**
   * Checks a time against spacing, daily cap and the past before anything is committed: for an
   * existing item (itemId: a move) or a proposed new one (platform and optional channel, no
   * itemId: the editor before items.add; its violations name only the existing posts).
   */
  'items.check': {
    input: z
      .object({
        scheduleId: IdSchema,
        itemId: IdSchema.optional(),
        platform: PlatformSchema.optional(),
        channel: NewItemSchema.shape.channel,
        scheduledTime: InstantSchema,
      })
      .strict()
      .superRefine((input, ctx) => {
        if (input.itemId && (input.platform || input.channel)) {
          ctx.addIssue({ code: 'custom', path: ['platform'], message: 'an existing item keeps its platform and channel; give itemId or platform, not both' });
        } else if (!input.itemId && !input.platform) {
          ctx.addIssue({ code: 'custom', path: ['platform'], message: 'give the itemId of an existing item, or the platform of a new one' });
        }
      }),
    output: z.object({ violations: z.array(ViolationSchema) }),
  },
  'items.reschedule': {
    input: z
      .object({
        scheduleId: IdSchema,
        itemId: IdSchema,
        scheduledTime: InstantSchema,
        expectedVersion: z.number().int().positive().optional(),
        /** Commit even though items.check reported violations (the user chose to). */
        force: z.boolean().default(false),
      })
      .strict(),
    output: WriteResultSchema,
  },
  'items.update': {
    input: z.object({ scheduleId: IdSchema, itemId: IdSchema, patch: ItemPatchSchema, expectedVersion: z.number().int().positive().optional() }).strict(),
    output: WriteResultSchema,
  },
  'items.cancel': { input: z.object({ scheduleId: IdSchema, itemId: IdSchema }).strict(), output: WriteResultSchema },

  'recommendations.get': { input: RecommendationQuerySchema, output: freshSchema(RecommendationListSchema) },
  'recommendations.heatmap': {
    input: z.object({ platform: PlatformSchema, timezone: TimeZoneSchema }).strict(),
    output: freshSchema(HeatmapSchema),
  },

  'optimize.run': {
    input: z.object({ scheduleId: IdSchema, constraints: ConstraintsSchema.optional() }).strict(),
    output: OptimizationResultSchema,
  },
  /** Applies the chosen changes atomically; a conflicting item is reported, not overwritten. */
  'optimize.apply': {
    input: z.object({ optimizationId: IdSchema, scheduleId: IdSchema, itemIds: z.array(IdSchema).min(1).max(5000) }).strict(),
    output: WriteResultSchema.extend({
      applied: z.array(z.string()),
      conflicts: z.array(z.object({ itemId: z.string(), message: z.string() })),
    }),
  },

  'outbox.list': { input: Empty, output: z.array(OutboxEntrySchema) },
  'outbox.retry': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: z.array(OutboxEntrySchema) },
  'outbox.discard': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: z.array(OutboxEntrySchema) },

  'activity.list': { input: Empty, output: z.array(ActivityEntrySchema) },

  /** Parses a CSV of past posts; nothing is stored. Per-row errors name the column. */
  'metrics.previewCsv': { input: z.object({ csv: z.string().max(MAX_CSV_BYTES) }).strict(), output: CsvPreviewSchema },
  /** Imports the valid rows of a CSV (all or nothing per call: invalid rows are refused). */
  'metrics.importCsv': { input: z.object({ csv: z.string().max(MAX_CSV_BYTES) }).strict(), output: MetricsIngestResultSchema },

  /** The connected account's API keys (never their secrets), revoked ones included. */
  'account.keys': { input: Empty, output: z.array(ApiKeyInfoSchema) },
  /** Revokes another key of the account; the key this app uses is refused (it would lock the app out). */
  'account.revokeKey': { input: z.object({ id: IdSchema }).strict(), output: ApiKeyInfoSchema },
  /** The account's webhook endpoint for dispatch, or null when it has none. */
  'account.webhook': { input: Empty, output: WebhookConfigSchema.nullable() },
  /** Sets the webhook URL; the answer carries the signing secret once, when one was made. */
  'account.setWebhook': { input: z.object({ url: WebhookUrlSchema, rotateSecret: z.boolean().default(false) }).strict(), output: WebhookConfigSchema },
  'account.deleteWebhook': { input: Empty, output: z.object({ removed: z.boolean() }) },
} as const;

export const bridgeEvents = {
  'engine.status': EngineStatusSchema,
  'settings.changed': SettingsSchema,
  notification: NotificationPayloadSchema,
  'connection.changed': ConnectionInfoSchema,
  'sync.status': SyncStatusSchema,
  /** Cached data changed (live event, sync, outbox): views showing it refetch from the cache. */
  'data.changed': z.object({
    scopes: z.array(z.enum(['schedules', 'items', 'recommendations', 'outbox'])),
    scheduleIds: z.array(z.string()).optional(),
  }),
  activity: ActivityEntrySchema,
  /** An optimization finished (announced once per id): how a `queued` optimize.run ends. */
  'optimization.completed': OptimizationResultSchema,
} as const;

export type BridgeMethods = typeof bridgeMethods;
export type BridgeMethodName = keyof BridgeMethods;
export type BridgeInput<M extends BridgeMethodName> = z.input<BridgeMethods[M]['input']>;
export type BridgeParsedInput<M extends BridgeMethodName> = z.output<BridgeMethods[M]['input']>;
export type BridgeOutput<M extends BridgeMethodName> = z.output<BridgeMethods[M]['output']>;

export type BridgeEvents = typeof bridgeEvents;
export type BridgeEventName = keyof BridgeEvents;
export type BridgeEventPayload<E extends BridgeEventName> = z.output<BridgeEvents[E]>;

export function isBridgeMethodName(name: unknown): name is BridgeMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(bridgeMethods, name);
}

export function isBridgeEventName(name: unknown): name is BridgeEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(bridgeEvents, name);
}

// ---------------------------------------------------------------- results: errors cross as data

export const BRIDGE_ERROR_CODES = [
  'validation_failed',
  'unknown_method',
  'not_found',
  'conflict',
  'unauthorized',
  'offline',
  'unavailable',
  'rate_limited',
  'internal',
] as const;

export const BridgeErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(ErrorDetailSchema).optional(),
  /** Extra, code-specific data (e.g. both versions of a conflict). */
  data: z.unknown().optional(),
});
export type BridgeError = z.infer<typeof BridgeErrorSchema>;

export type BridgeResult<T> = { ok: true; value: T } | { ok: false; error: BridgeError };

export const BridgeResultEnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: BridgeErrorSchema }),
]);

/** What crosses the web host's socket: calls one way, results and events the other. */
export const WebBridgeClientMessageSchema = z.object({
  kind: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(100),
  input: z.unknown(),
});
export const WebBridgeServerMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), id: z.number().int(), result: BridgeResultEnvelopeSchema }),
  z.object({ kind: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);

export { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from './ipc';

/** What the preload exposes as `window.cadence`, and what the web transport implements too. */
export interface BridgeTransport {
  invoke(method: string, input: unknown): Promise<unknown>;
  on(listener: (event: string, payload: unknown) => void): () => void;
}
