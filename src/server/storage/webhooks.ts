/** Each account's own webhook endpoint and signing secret (migration 008). */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { WebhookConfig } from '../../shared/api/account';
import type { AccountWebhooksTable, Database } from './schema';

export type WebhookRow = AccountWebhooksTable;

/** How long a rotated-out secret keeps signing deliveries beside the new one. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3600_000;

/** `whsec_` + base64 of 32 random bytes, as the Standard Webhooks libraries read it. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The wire form; `secret` only when it was just made (shown once). */
export function webhookJson(row: WebhookRow, newSecret: string | null, nowMs: number): WebhookConfig {
  const until = row.previous_secret ? Number(row.previous_secret_until_ms) : 0;
  return {
    url: row.url,
    secret_prefix: row.secret.slice(0, 10),
    ...(newSecret ? { secret: newSecret } : {}),
    ...(until > nowMs ? { previous_secret_expires_at: new Date(until).toISOString() } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function findWebhook(db: Kysely<Database>, accountId: string): Promise<WebhookRow | null> {
  return (await db.selectFrom('account_webhooks').selectAll().where('account_id', '=', accountId).executeTakeFirst()) ?? null;
}

/** The webhooks of these accounts (the dispatcher reads them for each claimed batch). */
export async function webhooksOf(db: Kysely<Database>, accountIds: string[]): Promise<Map<string, WebhookRow>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db.selectFrom('account_webhooks').selectAll().where('account_id', 'in', accountIds).execute();
  return new Map(rows.map((row) => [row.account_id, row]));
}

export async function anyAccountWebhook(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('account_webhooks').select('account_id').limit(1).executeTakeFirst()) !== undefined;
}

export interface PutWebhookResult {
  row: WebhookRow;
  created: boolean;
  /** The secret, when this call made it (a new webhook, or rotate). */
  newSecret: string | null;
}

/** Sets the account's webhook URL; a new webhook (or `rotate`) gets a fresh secret, otherwise the secret is kept. */
export async function putWebhook(db: Kysely<Database>, accountId: string, url: string, rotate: boolean, nowMs: number): Promise<PutWebhookResult> {
  const at = new Date(nowMs).toISOString();
  return db.transaction().execute(async (trx) => {
    let existing = await trx.selectFrom('account_webhooks').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!existing) {
      const row: WebhookRow = {
        account_id: accountId,
        url,
        secret: newWebhookSecret(),
        created_at: at,
        updated_at: at,
        previous_secret: null,
        previous_secret_until_ms: null,
      };
      const inserted = await trx
        .insertInto('account_webhooks')
        .values(row)
        .onConflict((oc) => oc.column('account_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { row, created: true, newSecret: row.secret };
      // A concurrent PUT created it first: this one updates that (its secret was shown to that caller).
      existing = await trx.selectFrom('account_webhooks').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
    }
    const newSecret = rotate ? newWebhookSecret() : null;
    // A rotated-out secret keeps signing for a while, so receivers can switch without dropping deliveries.
    const row: WebhookRow = newSecret
      ? { ...existing, url, secret: newSecret, previous_secret: existing.secret, previous_secret_until_ms: nowMs + PREVIOUS_SECRET_GRACE_MS, updated_at: at }
      : { ...existing, url, updated_at: at };
    await trx
      .updateTable('account_webhooks')
      .set({ url, secret: row.secret, previous_secret: row.previous_secret, previous_secret_until_ms: row.previous_secret_until_ms, updated_at: at })
      .where('account_id', '=', accountId)
      .execute();
    return { row, created: false, newSecret };
  });
}

export async function deleteWebhook(db: Kysely<Database>, accountId: string): Promise<WebhookRow | null> {
  return (await db.deleteFrom('account_webhooks').where('account_id', '=', accountId).returningAll().executeTakeFirst()) ?? null;
}
