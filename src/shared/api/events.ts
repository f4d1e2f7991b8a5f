/** The server's live events (WebSocket), as they cross the wire. */
import { z } from 'zod';

export const EVENT_TYPES = [
  'schedule.created',
  'schedule.updated',
  'schedule.deleted',
  'item.created',
  'item.rescheduled',
  'item.status_changed',
  'item.deleted',
  'item.due_soon',
  'optimization.completed',
] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

export const ServerEventSchema = z.object({
  type: EventTypeSchema,
  /** Per-account, gapless, increasing. */
  seq: z.number().int().positive(),
  schedule_id: z.string().nullable(),
  occurred_at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type ServerEvent = z.infer<typeof ServerEventSchema>;

/** Messages a client sends on `/ws`. */
export const ClientWsMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(1024) }),
  z.object({
    type: z.literal('subscribe'),
    schedules: z.union([z.tuple([z.literal('*')]), z.array(z.string().min(1)).max(1000)]),
    since: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientWsMessage = z.infer<typeof ClientWsMessageSchema>;

/** Control messages the server sends besides events. */
export const ServerControlMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('authenticated'), account_id: z.string() }),
  z.object({
    type: z.literal('subscribed'),
    schedules: z.array(z.string()),
    /** The last seq the server has; events after `since` up to this were replayed. */
    head_seq: z.number().int().nonnegative(),
  }),
  /** `since` is older than retention: the client must resync fully, then follow from head_seq. */
  z.object({ type: z.literal('resync_required'), head_seq: z.number().int().nonnegative(), oldest_seq: z.number().int() }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerControlMessage = z.infer<typeof ServerControlMessageSchema>;

export const ServerWsMessageSchema = z.union([ServerEventSchema, ServerControlMessageSchema]);
export type ServerWsMessage = z.infer<typeof ServerWsMessageSchema>;
