/** Resolves a bearer token (API key or access token) for WebSocket connections, like the HTTP API. */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema';
import { findPrincipal } from '../storage/tokens';

export type TokenResolver = (token: string) => Promise<string | null>;

export function principalResolver(db: Kysely<Database>, now: () => number): TokenResolver {
  return async (token) => (await findPrincipal(db, token, now()))?.accountId ?? null;
}

/** The token of an `Authorization: Bearer …` header: null when there is no header, '' when malformed. */
export function bearerOf(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? '';
}
