/**
 * Request signing (contract: "Request signing"). X-Signature = hex HMAC-SHA256(secret,
 * METHOD\nURL\nBODY\nTIMESTAMP) over the raw body; URL is the path+query as sent or the
 * absolute URL the client addressed. Seen signatures are kept in the database until their
 * timestamp leaves the ±300 s window, so a replay is refused even by another process.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { ApiError } from '../errors';
import type { Database } from '../storage/schema';

export const SIGNATURE_WINDOW_MS = 300_000;

export function signRequest(secret: string, method: string, url: string, body: string | Buffer, timestamp: string): string {
  return createHmac('sha256', secret)
    .update(`${method}\n${url}\n`)
    .update(body)
    .update(`\n${timestamp}`)
    .digest('hex');
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The URLs a well-behaved client may have signed for this request. */
function candidateUrls(request: FastifyRequest): string[] {
  const urls = [request.url];
  const host = header(request, 'x-forwarded-host') ?? header(request, 'host');
  if (host) {
    const forwardedProto = header(request, 'x-forwarded-proto');
    const protocols = forwardedProto ? [forwardedProto] : ['http', 'https'];
    for (const protocol of protocols) urls.push(`${protocol}://${host}${request.url}`);
  }
  return urls;
}

function constantTimeHexEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Throws 401 unless the request is signed with `secret`, fresh and not seen before. */
export async function verifySignature(
  db: Kysely<Database>,
  request: FastifyRequest,
  accountId: string,
  secret: string,
  nowMs: number,
): Promise<void> {
  const signature = header(request, 'x-signature');
  const timestamp = header(request, 'x-timestamp');
  if (!signature || !timestamp) {
    throw new ApiError('unauthorized', 'this API key requires signed requests: send X-Timestamp and X-Signature');
  }
  if (!/^\d{1,16}$/.test(timestamp)) throw new ApiError('unauthorized', 'X-Timestamp must be milliseconds since the epoch');
  const skew = Math.abs(nowMs - Number(timestamp));
  if (skew > SIGNATURE_WINDOW_MS) {
    throw new ApiError('unauthorized', `X-Timestamp is ${Math.round(skew / 1000)} s away from the server clock (allowed: 300 s)`);
  }
  const given = signature.trim().toLowerCase();
  const body = request.rawBody ?? Buffer.alloc(0);
  let valid = false;
  // Every candidate is computed and compared so timing does not reveal which one matched.
  for (const url of candidateUrls(request)) {
    if (constantTimeHexEqual(signRequest(secret, request.method, url, body, timestamp), given)) valid = true;
  }
  if (!valid) throw new ApiError('unauthorized', 'X-Signature does not match the request');
  const inserted = await db
    .insertInto('request_signatures')
    .values({ account_id: accountId, signature: given, expires_at_ms: Number(timestamp) + SIGNATURE_WINDOW_MS })
    .onConflict((oc) => oc.doNothing())
    .returning('signature')
    .executeTakeFirst();
  if (!inserted) throw new ApiError('unauthorized', 'this signature was already used (replay)');
}

export async function purgeExpiredSignatures(db: Kysely<Database>, nowMs: number): Promise<void> {
  await db.deleteFrom('request_signatures').where('expires_at_ms', '<', nowMs).execute();
}
