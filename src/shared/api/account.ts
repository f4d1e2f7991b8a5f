/**
 * Account self-service (docs/api.md, "Key management" and "Account webhook"): the account's API
 * keys (listed without their secret, revocable) and its own webhook endpoint for dispatch.
 * The contract is silent on both; these are the project's additions.
 */
import { z } from 'zod';
import { HttpUrlSchema } from './resources';

export const ApiKeyInfoSchema = z.object({
  id: z.string(),
  /** The key's first characters (`cad_` + 8), enough to recognize it; null for keys made before prefixes were kept. */
  prefix: z.string().nullable(),
  created_at: z.string(),
  /** When a request or a token grant last used the key (to the minute); null when never. */
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  /** Whether requests made with this key must be signed (it has a signing secret). */
  signed: z.boolean(),
  /** Whether this is the key the request was authenticated with (directly or through its tokens). */
  current: z.boolean(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfoSchema>;
export const ApiKeyListSchema = z.object({ data: z.array(ApiKeyInfoSchema) });
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;

/** A URL is checked again, on its resolved addresses, before every delivery (docs/live-and-dispatch.md). */
export const WebhookUrlSchema = HttpUrlSchema.refine(
  (value) => {
    try {
      const url = new URL(value);
      return !url.username && !url.password;
    } catch {
      return false;
    }
  },
  { message: 'a webhook URL may not carry credentials' },
);

export const WebhookConfigRequestSchema = z
  .object({
    url: WebhookUrlSchema,
    /** Replace the signing secret (the new one is in the answer, once). A new webhook always gets one. */
    rotate_secret: z.boolean().optional(),
  })
  .strict();
export type WebhookConfigRequest = z.infer<typeof WebhookConfigRequestSchema>;

export const WebhookConfigSchema = z.object({
  url: z.string(),
  /** The secret's first characters, to tell secrets apart; the secret itself is shown once. */
  secret_prefix: z.string(),
  /** Standard Webhooks signing secret (`whsec_…`): only in the answer that created it. */
  secret: z.string().optional(),
  /** After a rotation: until when deliveries also carry a signature made with the previous secret. */
  previous_secret_expires_at: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;
