import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface CreatedKey {
  accountId: string;
  keyId: string;
  apiKey: string;
  signingSecret: string | null;
}

/** Characters of a key kept in clear (`cad_` + 8 of its 32 random ones): enough to recognize it, far too few to guess the rest. */
export const KEY_PREFIX_LENGTH = 12;

function newKeyRow(accountId: string, withSigningSecret: boolean, createdAt: string) {
  const apiKey = `cad_${randomBytes(24).toString('base64url')}`;
  const signingSecret = withSigningSecret ? `whsec_${randomBytes(24).toString('base64url')}` : null;
  const row = {
    id: `key_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    account_id: accountId,
    key_hash: hashSecret(apiKey),
    signing_secret: signingSecret,
    created_at: createdAt,
    revoked_at: null,
    prefix: apiKey.slice(0, KEY_PREFIX_LENGTH),
    last_used_at: null,
  };
  return { row, apiKey, signingSecret };
}

/** Creates an account and its first API key; the key is returned once and stored only hashed. */
export async function createAccountWithKey(
  db: Kysely<Database>,
  options: { name?: string; withSigningSecret?: boolean; now?: Date } = {},
): Promise<CreatedKey> {
  const accountId = `acct_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const createdAt = (options.now ?? new Date()).toISOString();
  const key = newKeyRow(accountId, options.withSigningSecret ?? false, createdAt);
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('accounts').values({ id: accountId, name: options.name ?? 'Cadence account', created_at: createdAt }).execute();
    await trx.insertInto('api_keys').values(key.row).execute();
  });
  return { accountId, keyId: key.row.id, apiKey: key.apiKey, signingSecret: key.signingSecret };
}

/** Another key for an existing account (to rotate: create the new key, move clients, revoke the old). Null when there is no such account. */
export async function createKeyForAccount(
  db: Kysely<Database>,
  accountId: string,
  options: { withSigningSecret?: boolean; now?: Date } = {},
): Promise<CreatedKey | null> {
  const account = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!account) return null;
  const key = newKeyRow(accountId, options.withSigningSecret ?? false, (options.now ?? new Date()).toISOString());
  await db.insertInto('api_keys').values(key.row).execute();
  return { accountId, keyId: key.row.id, apiKey: key.apiKey, signingSecret: key.signingSecret };
}
