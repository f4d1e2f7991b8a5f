/**
 * Bearer credentials resolved recently, for a few seconds, so a busy client does not cost a
 * key lookup per request. Revocation in this process clears it at once; another process sharing
 * the database sees a revocation after at most TTL_MS (docs/api.md).
 */
import type { ServerContext } from '../context';
import { findPrincipal, type Principal } from '../storage/tokens';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal | null; until: number }>();

  constructor(private readonly ctx: ServerContext) {}

  /** The cached answer, or undefined when the token must be looked up. */
  cached(token: string): Principal | null | undefined {
    const hit = this.entries.get(token);
    return hit && hit.until > this.ctx.clock.now() ? hit.principal : undefined;
  }

  async resolve(token: string): Promise<Principal | null> {
    const now = this.ctx.clock.now();
    const hit = this.cached(token);
    if (hit !== undefined) return hit;
    const principal = await findPrincipal(this.ctx.storage.db, token, now);
    // Unknown tokens are not cached: a flood of garbage must not evict real entries.
    if (principal) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const until = Math.min(now + TTL_MS, principal.expiresAtMs ?? Number.POSITIVE_INFINITY);
      this.entries.set(token, { principal, until });
    } else {
      this.entries.delete(token);
    }
    return principal;
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
