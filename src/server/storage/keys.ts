/**
 * Key management: listing an account's keys (never their secrets), revoking one together with
 * every token minted from it, and recording when a key was last used.
 */
import type { Kysely } from 'kysely';
import type { ApiKeyInfo } from '../../shared/api/account';
import type { Database } from './schema';

export interface KeyRow {
  id: string;
  account_id: string;
  prefix: string | null;
  signing_secret: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const KEY_COLUMNS = ['id', 'account_id', 'prefix', 'signing_secret', 'created_at', 'last_used_at', 'revoked_at'] as const;

export function keyJson(row: KeyRow, currentKeyId: string | null): ApiKeyInfo {
  return {
    id: row.id,
    prefix: row.prefix,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    signed: row.signing_secret !== null,
    current: row.id === currentKeyId,
  };
}

/** The account's keys, oldest first (revoked ones included, so an audit can see them). */
export async function listKeys(db: Kysely<Database>, accountId: string): Promise<KeyRow[]> {
  return db.selectFrom('api_keys').select(KEY_COLUMNS).where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
}

export async function findKey(db: Kysely<Database>, accountId: string, keyId: string): Promise<KeyRow | null> {
  const row = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('account_id', '=', accountId).where('id', '=', keyId).executeTakeFirst();
  return row ?? null;
}

export type KeyLookup = { ok: true; key: KeyRow } | { ok: false; reason: 'unknown' | 'ambiguous'; matches: number };

/**
 * For the operator's CLI, across accounts: a key id (`key_…`) or the start of a key as printed
 * (at least `cad_` + 4 characters; a whole key is cut to its stored prefix).
 */
export async function findKeyByIdOrPrefix(db: Kysely<Database>, ref: string): Promise<KeyLookup> {
  const byId = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', ref).executeTakeFirst();
  if (byId) return { ok: true, key: byId };
  if (!/^cad_[\w-]{4,}$/.test(ref)) return { ok: false, reason: 'unknown', matches: 0 };
  const rows = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('prefix', 'is not', null).execute();
  const matches = rows.filter((row) => row.prefix !== null && (ref.startsWith(row.prefix) || row.prefix.startsWith(ref)));
  if (matches.length === 1) return { ok: true, key: matches[0]! };
  return { ok: false, reason: matches.length ? 'ambiguous' : 'unknown', matches: matches.length };
}

/**
 * Revokes a key of the account and every token minted from it, in one transaction: refresh
 * tokens are marked revoked (a later use answers "revoked", not "unknown") and access tokens
 * deleted. Revoking a revoked key changes nothing and answers it as it is. Null when the
 * account has no such key.
 */
export async function revokeKey(db: Kysely<Database>, accountId: string, keyId: string, nowMs: number): Promise<KeyRow | null> {
  return db.transaction().execute(async (trx) => {
    const key = await trx.selectFrom('api_keys').select(KEY_COLUMNS).where('account_id', '=', accountId).where('id', '=', keyId).executeTakeFirst();
    if (!key) return null;
    const revokedAt = key.revoked_at ?? new Date(nowMs).toISOString();
    if (!key.revoked_at) {
      await trx.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
    }
    await trx.updateTable('refresh_tokens').set({ status: 'revoked' }).where('key_id', '=', keyId).execute();
    await trx.deleteFrom('access_tokens').where('key_id', '=', keyId).execute();
    return { ...key, revoked_at: revokedAt };
  });
}

/** Sets last_used_at unless it is already at least as recent (callers throttle; see PrincipalCache). */
export async function touchKey(db: Kysely<Database>, keyId: string, nowMs: number): Promise<void> {
  const at = new Date(nowMs).toISOString();
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('id', '=', keyId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
    .execute();
}
