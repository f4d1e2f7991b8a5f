/**
 * Bearer credentials resolved recently, for a few seconds, so a busy client does not cost a
 * key lookup per request. Revocation in this process takes effect at once (the key is
 * remembered as revoked, so even a lookup that was in flight cannot bring it back). Revocations
 * by other processes arrive through PostgreSQL NOTIFY (events/pg-relay.ts); on SQLite any commit
 * by another process empties the cache within half a second (storage/external-writes.ts).
 */
import type { ServerContext } from '../context';
import { touchKey } from '../storage/keys';
import { findPrincipal, type Principal } from '../storage/tokens';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;
/** last_used_at is written at most this often per key and process. */
const TOUCH_EVERY_MS = 60_000;

export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal | null; until: number }>();
  private readonly revokedKeys = new Set<string>();
  private readonly touched = new Map<string, number>();
  private readonly revocationListeners = new Set<(keyId: string | null) => void>();

  constructor(private readonly ctx: ServerContext) {}

  /** The cached answer, or undefined when the token must be looked up. */
  cached(token: string): Principal | null | undefined {
    const hit = this.entries.get(token);
    if (!hit || hit.until <= this.ctx.clock.now()) return undefined;
    if (hit.principal && this.revokedKeys.has(hit.principal.keyId)) {
      this.entries.delete(token);
      return null;
    }
    return hit.principal;
  }

  async resolve(token: string): Promise<Principal | null> {
    const now = this.ctx.clock.now();
    const hit = this.cached(token);
    if (hit !== undefined) return hit;
    const found = await findPrincipal(this.ctx.storage.db, token, now);
    // Read before a revocation in this process committed: it must not outlive it.
    const principal = found && this.revokedKeys.has(found.keyId) ? null : found;
    // Unknown tokens are not cached: a flood of garbage must not evict real entries.
    if (principal) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const until = Math.min(now + TTL_MS, principal.expiresAtMs ?? Number.POSITIVE_INFINITY);
      this.entries.set(token, { principal, until });
      this.touch(principal.keyId, now);
    } else {
      this.entries.delete(token);
    }
    return principal;
  }

  /** Records the key's use, at most once a minute; a failure only loses the timestamp. */
  touch(keyId: string, now: number): void {
    const last = this.touched.get(keyId);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    if (this.touched.size >= MAX_ENTRIES) this.touched.clear();
    this.touched.set(keyId, now);
    void touchKey(this.ctx.storage.db, keyId, now).catch(() => undefined);
  }

  /** A key was revoked (in this process): nothing cached for it, or resolved from before, is accepted again. */
  keyRevoked(keyId: string): void {
    this.revokedKeys.add(keyId);
    for (const [token, entry] of this.entries) if (entry.principal?.keyId === keyId) this.entries.delete(token);
    for (const listener of this.revocationListeners) listener(keyId);
  }

  /**
   * Another process wrote to the database (SQLite), perhaps revoking a key: nothing cached is
   * trusted any more, and live connections re-check their credentials.
   */
  externalChange(): void {
    this.entries.clear();
    for (const listener of this.revocationListeners) listener(null);
  }

  /**
   * Called after each revocation in this process, and after another process's write (keyId
   * null): live connections re-check their credentials.
   */
  onKeyRevoked(listener: (keyId: string | null) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  clear(): void {
    this.entries.clear();
  }
}

const caches = new WeakMap<ServerContext, PrincipalCache>();

export function principalCacheFor(ctx: ServerContext): PrincipalCache {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new PrincipalCache(ctx);
    caches.set(ctx, cache);
  }
  return cache;
}
