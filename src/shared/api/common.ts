import { z } from 'zod';
import { isValidTimeZone, parseOffsetInstant } from '../time';

/** The platforms the API serves; the order is the one the UI lists them in. */
export const PLATFORMS = ['youtube', 'tiktok', 'instagram', 'linkedin'] as const;
export const PlatformSchema = z.enum(PLATFORMS, {
  error: (issue) =>
    `unknown platform ${JSON.stringify(issue.input)}; expected one of ${PLATFORMS.join(', ')}`,
});
export type Platform = z.infer<typeof PlatformSchema>;

/** An IANA time zone name, checked against the runtime's zone database. */
export const TimeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, { message: 'unknown time zone (expected an IANA name like America/New_York)' });

/**
 * An RFC 3339 instant that carries its offset. A bare local time is rejected because
 * the server cannot know which zone the client meant.
 */
export const InstantSchema = z.string().superRefine((value, ctx) => {
  const problem = parseOffsetInstant(value).error;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const IdSchema = z.string().min(1).max(64);

/** The one error shape every API error and every bridge error uses. */
export const ErrorDetailSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetailSchema>;

export const API_ERROR_CODES = [
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'idempotency_in_progress',
  'idempotency_key_reused',
  'validation_failed',
  'rate_limited',
  'payload_too_large',
  'internal',
  'unavailable',
] as const;
export const ApiErrorCodeSchema = z.enum(API_ERROR_CODES);
export type ApiErrorCode = z.infer<typeof ApiErrorCodeSchema>;

export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(ErrorDetailSchema).optional(),
    request_id: z.string().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/** Turns zod's issue paths into the contract's `items[0].scheduled_time` form. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || '(root)';
}

export function issuesToDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => {
    const path = formatIssuePath(issue.path);
    return {
      path: prefix ? (path === '(root)' ? prefix : `${prefix}.${path}`) : path,
      message: issue.message,
    };
  });
}
