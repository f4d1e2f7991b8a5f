/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): headers `webhook-id`,
 * `webhook-timestamp` (epoch seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`. A `whsec_` secret is base64 after its prefix, as the spec's libraries read it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** `alsoSignWith`: a secret being rotated out; its signature follows the current one (space-separated, as the spec allows). */
export function webhookHeaders(id: string, body: string, secret: string | null, nowMs: number, alsoSignWith: string | null = null): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const signatures = [secret, alsoSignWith].filter((s): s is string => Boolean(s)).map((s) => signWebhook(s, id, timestamp, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    ...(signatures.length ? { 'webhook-signature': signatures.join(' ') } : {}),
  };
}

/** What a receiver does: checks one of the space-separated `v1,` signatures, in constant time. */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body));
  return signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
