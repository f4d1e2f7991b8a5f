/**
 * The bridge between the renderer and the main process: the one contract both transports
 * (Electron IPC and the web host's loopback WebSocket) carry. Main validates every call's input
 * with these schemas; the renderer validates every output and event before using it.
 */
import { z } from 'zod';
import { ErrorDetailSchema, TimeZoneSchema } from './api/common';

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

export const SettingsSchema = z.object({
  theme: ThemeSchema,
  /** null = follow the operating system's zone. */
  displayTimeZone: TimeZoneSchema.nullable(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsPatchSchema = SettingsSchema.partial().strict();

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
} as const;

export const bridgeEvents = {
  'engine.status': EngineStatusSchema,
  'settings.changed': SettingsSchema,
  notification: NotificationPayloadSchema,
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
