/**
 * API keys and the tokens minted from them. Everything secret is stored as its SHA-256 only;
 * tokens are opaque random strings, so revoking one is deleting a row.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashSecret } from './accounts';
import { touchKey } from './keys';
import type { Database } from './schema';

export interface Principal {
  accountId: string;
  keyId: string;
  /** The key's HMAC secret; when set, every request must be signed with it. */
  signingSecret: string | null;
  via: 'api_key' | 'access_token';
  /** When an access token stops working (epoch ms); API keys do not expire. */
  expiresAtMs?: number;
}

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface TokenTtls {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

/** Resolves a bearer credential (API key or access token) to its account, or null. */
export async function findPrincipal(db: Kysely<Database>, token: string, nowMs: number): Promise<Principal | null> {
  if (token.length < 8 || token.length > 512) return null;
  const hash = hashSecret(token);
  if (token.startsWith('cat_')) {
    const row = await db
      .selectFrom('access_tokens')
      .innerJoin('api_keys', 'api_keys.id', 'access_tokens.key_id')
      .select(['access_tokens.account_id', 'access_tokens.key_id', 'access_tokens.expires_at_ms', 'api_keys.signing_secret', 'api_keys.revoked_at'])
      .where('access_tokens.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.revoked_at || Number(row.expires_at_ms) <= nowMs) return null;
    return {
      accountId: row.account_id,
      keyId: row.key_id,
      signingSecret: row.signing_secret,
      via: 'access_token',
      expiresAtMs: Number(row.expires_at_ms),
    };
  }
  const key = await db
    .selectFrom('api_keys')
    .select(['id', 'account_id', 'signing_secret', 'revoked_at'])
    .where('key_hash', '=', hash)
    .executeTakeFirst();
  if (!key || key.revoked_at) return null;
  return { accountId: key.account_id, keyId: key.id, signingSecret: key.signing_secret, via: 'api_key' };
}

async function mint(
  db: Kysely<Database>,
  owner: { accountId: string; keyId: string; familyId: string },
  ttls: TokenTtls,
  nowMs: number,
): Promise<IssuedTokens> {
  const accessToken = `cat_${randomBytes(32).toString('base64url')}`;
  const refreshToken = `crt_${randomBytes(32).toString('base64url')}`;
  const createdAt = new Date(nowMs).toISOString();
  await db
    .insertInto('access_tokens')
    .values({
      token_hash: hashSecret(accessToken),
      account_id: owner.accountId,
      key_id: owner.keyId,
      family_id: owner.familyId,
      expires_at_ms: nowMs + ttls.accessTokenTtlSeconds * 1000,
      created_at: createdAt,
    })
    .execute();
  await db
    .insertInto('refresh_tokens')
    .values({
      token_hash: hashSecret(refreshToken),
      account_id: owner.accountId,
      key_id: owner.keyId,
      family_id: owner.familyId,
      status: 'active',
      expires_at_ms: nowMs + ttls.refreshTokenTtlSeconds * 1000,
      created_at: createdAt,
    })
    .execute();
  // Expired access tokens are useless; drop this family's so the table does not grow forever.
  await db.deleteFrom('access_tokens').where('family_id', '=', owner.familyId).where('expires_at_ms', '<=', nowMs).execute();
  return { access_token: accessToken, token_type: 'Bearer', expires_in: ttls.accessTokenTtlSeconds, refresh_token: refreshToken };
}

/** api_key grant: starts a new token family. Null when the key is unknown or revoked. */
export async function grantFromApiKey(db: Kysely<Database>, apiKey: string, ttls: TokenTtls, nowMs: number): Promise<IssuedTokens | null> {
  const key = await db
    .selectFrom('api_keys')
    .select(['id', 'account_id', 'revoked_at'])
    .where('key_hash', '=', hashSecret(apiKey))
    .executeTakeFirst();
  if (!key || key.revoked_at) return null;
  const familyId = `fam_${randomUUID()}`;
  return db.transaction().execute(async (trx) => {
    await touchKey(trx, key.id, nowMs);
    return mint(trx, { accountId: key.account_id, keyId: key.id, familyId }, ttls, nowMs);
  });
}

export type RefreshOutcome = { ok: true; tokens: IssuedTokens } | { ok: false; reason: 'unknown' | 'expired' | 'reused' | 'revoked' };

/**
 * refresh_token grant. The token is spent by a conditional update, so of two concurrent uses
 * exactly one wins; presenting a spent token again revokes its whole family (theft detection).
 */
export async function grantFromRefreshToken(db: Kysely<Database>, refreshToken: string, ttls: TokenTtls, nowMs: number): Promise<RefreshOutcome> {
  const hash = hashSecret(refreshToken);
  const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.status === 'revoked') return { ok: false, reason: 'revoked' };
  if (row.status === 'active' && Number(row.expires_at_ms) <= nowMs) return { ok: false, reason: 'expired' };
  const key = await db.selectFrom('api_keys').select(['revoked_at']).where('id', '=', row.key_id).executeTakeFirst();
  if (!key || key.revoked_at) return { ok: false, reason: 'revoked' };
  return db.transaction().execute(async (trx) => {
    const spent = await trx
      .updateTable('refresh_tokens')
      .set({ status: 'rotated' })
      .where('token_hash', '=', hash)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) {
      await revokeFamily(trx, row.family_id);
      return { ok: false as const, reason: 'reused' as const };
    }
    await touchKey(trx, row.key_id, nowMs);
    const tokens = await mint(trx, { accountId: row.account_id, keyId: row.key_id, familyId: row.family_id }, ttls, nowMs);
    return { ok: true as const, tokens };
  });
}

export async function revokeFamily(db: Kysely<Database>, familyId: string): Promise<void> {
  await db.updateTable('refresh_tokens').set({ status: 'revoked' }).where('family_id', '=', familyId).execute();
  await db.deleteFrom('access_tokens').where('family_id', '=', familyId).execute();
}

/** Drops access tokens past their expiry and refresh tokens past theirs (a spent one is kept until then for reuse detection). */
export async function purgeExpiredTokens(db: Kysely<Database>, nowMs: number): Promise<void> {
  await db.deleteFrom('access_tokens').where('expires_at_ms', '<=', nowMs).execute();
  await db.deleteFrom('refresh_tokens').where('expires_at_ms', '<=', nowMs).execute();
}
