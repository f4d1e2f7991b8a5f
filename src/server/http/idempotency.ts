/**
 * Idempotency-Key for every POST (contract: "Idempotency"), scoped to (account, key).
 * The lock is the unique insert of the key row: of any number of concurrent requests with one key,
 * exactly one inserts it and runs; the others see the row and answer 409 in progress, 422 when the
 * fingerprint differs, or the stored response byte for byte once it is complete.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { LIMITS } from '../../shared/api/resources';
import { ApiError } from '../errors';
import type { Database } from '../storage/schema';

/** A lock older than this belongs to a request whose process died; the key may be taken over. */
export const IDEMPOTENCY_LOCK_STALE_MS = 5 * 60_000;

export function fingerprintOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? request.url;
  const bodyHash = createHash('sha256')
    .update(request.rawBody ?? Buffer.alloc(0))
    .digest('hex');
  return `${request.method} ${path} ${bodyHash}`;
}

export function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || key.length === 0 || key.length > LIMITS.idempotencyKeyMaxLength) {
    throw new ApiError('validation_failed', `Idempotency-Key must be 1..${LIMITS.idempotencyKeyMaxLength} characters`, [
      { path: '(header).Idempotency-Key', message: `must be 1..${LIMITS.idempotencyKeyMaxLength} characters` },
    ]);
  }
  return key;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Takes the key for this request, or answers for it. Returns true when the request should run
 * (the caller then owns the lock), false when a reply was already sent.
 */
export async function beginIdempotent(
  db: Kysely<Database>,
  request: FastifyRequest,
  reply: FastifyReply,
  accountId: string,
  key: string,
  ttlMs: number,
  nowMs: number,
): Promise<boolean> {
  const fingerprint = fingerprintOf(request);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await db
        .insertInto('idempotency_keys')
        .values({
          account_id: accountId,
          key,
          fingerprint,
          status: 'in_progress',
          response_status: null,
          response_body: null,
          response_content_type: null,
          locked_at_ms: nowMs,
          expires_at_ms: nowMs + ttlMs,
        })
        .execute();
      request.idempotency = { accountId, key };
      return true;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) continue; // released between our insert and select: try again
    if (Number(row.expires_at_ms) <= nowMs || (row.status === 'in_progress' && Number(row.locked_at_ms) + IDEMPOTENCY_LOCK_STALE_MS <= nowMs)) {
      // Expired record or abandoned lock: delete exactly that row (by its lock time) and retry.
      await db
        .deleteFrom('idempotency_keys')
        .where('account_id', '=', accountId)
        .where('key', '=', key)
        .where('locked_at_ms', '=', row.locked_at_ms)
        .execute();
      continue;
    }
    if (row.fingerprint !== fingerprint) {
      throw new ApiError(
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request (method, path or body); use a new key',
      );
    }
    if (row.status !== 'completed' || row.response_status === null || row.response_body === null) {
      throw new ApiError('idempotency_in_progress', 'a request with this Idempotency-Key is still running; retry later');
    }
    reply
      .status(row.response_status)
      .header('Idempotent-Replayed', 'true')
      .header('content-type', row.response_content_type ?? 'application/json; charset=utf-8');
    await reply.send(row.response_body);
    return false;
  }
  throw new ApiError('idempotency_in_progress', 'a request with this Idempotency-Key is contended; retry later');
}

/**
 * Validation failures (the request never ran) and server errors (its transaction rolled back)
 * release the key so a corrected or retried request can use it; anything else is remembered.
 */
function shouldRemember(statusCode: number, payload: string): boolean {
  if (statusCode >= 500) return false;
  if (statusCode === 400 || statusCode === 413 || statusCode === 415) return false;
  if (statusCode === 422 && payload.includes('"code":"validation_failed"')) return false;
  if (statusCode === 401 || statusCode === 429) return false;
  return true;
}

/** onSend: stores the response under the key (or releases it) before the client sees it. */
export async function finishIdempotent(
  db: Kysely<Database>,
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<void> {
  const lock = request.idempotency;
  if (!lock) return;
  request.idempotency = null;
  const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
  const where = db.deleteFrom('idempotency_keys').where('account_id', '=', lock.accountId).where('key', '=', lock.key);
  if (body === null || !shouldRemember(reply.statusCode, body)) {
    await where.execute();
    return;
  }
  const contentType = reply.getHeader('content-type');
  await db
    .updateTable('idempotency_keys')
    .set({
      status: 'completed',
      response_status: reply.statusCode,
      response_body: body,
      response_content_type: typeof contentType === 'string' ? contentType : 'application/json; charset=utf-8',
    })
    .where('account_id', '=', lock.accountId)
    .where('key', '=', lock.key)
    .execute();
}

/** Releases a lock whose request ended without a response (client gone, crash in a hook). */
export async function releaseIdempotent(db: Kysely<Database>, request: FastifyRequest): Promise<void> {
  const lock = request.idempotency;
  if (!lock) return;
  request.idempotency = null;
  await db.deleteFrom('idempotency_keys').where('account_id', '=', lock.accountId).where('key', '=', lock.key).execute();
}

export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>, nowMs: number): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('expires_at_ms', '<=', nowMs).where('status', '=', 'completed').execute();
}
