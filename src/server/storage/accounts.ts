import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface CreatedKey {
  accountId: string;
  apiKey: string;
  signingSecret: string | null;
}

/** Creates an account and its first API key; the key is returned once and stored only hashed. */
export async function createAccountWithKey(
  db: Kysely<Database>,
  options: { name?: string; withSigningSecret?: boolean; now?: Date } = {},
): Promise<CreatedKey> {
  const accountId = `acct_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const apiKey = `cad_${randomBytes(24).toString('base64url')}`;
  const signingSecret = options.withSigningSecret ? `whsec_${randomBytes(24).toString('base64url')}` : null;
  const createdAt = (options.now ?? new Date()).toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('accounts').values({ id: accountId, name: options.name ?? 'Cadence account', created_at: createdAt }).execute();
    await trx
      .insertInto('api_keys')
      .values({
        id: `key_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
        account_id: accountId,
        key_hash: hashSecret(apiKey),
        signing_secret: signingSecret,
        created_at: createdAt,
        revoked_at: null,
      })
      .execute();
  });
  return { accountId, apiKey, signingSecret };
}
