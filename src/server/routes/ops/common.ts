/** Helpers the resource operations share: transactions that emit events, If-Match, aliases. */
import type { Transaction } from 'kysely';
import type { ServerEvent } from '../../../shared/api/events';
import type { ServerContext } from '../../context';
import { ApiError } from '../../errors';
import { appendEvent, type NewEvent } from '../../events/log';
import type { Database } from '../../storage/schema';

export type Emit = (event: NewEvent) => Promise<void>;

/**
 * Runs `fn` in one transaction; its events are appended inside it and published only after
 * the commit, so a live client never hears of a change that was rolled back.
 */
export async function writeTransaction<T>(
  ctx: ServerContext,
  accountId: string,
  fn: (trx: Transaction<Database>, emit: Emit, nowIso: string, nowMs: number) => Promise<T>,
): Promise<T> {
  const events: ServerEvent[] = [];
  const nowMs = ctx.clock.now();
  const now = new Date(nowMs);
  const result = await ctx.storage.db.transaction().execute(async (trx) => {
    // PostgreSQL: take the account's event head first, as the dispatcher does. Every writer of the
    // account then waits there before holding any schedule or item lock, so no two writers can
    // each hold a row the other needs (appendEvent would take this lock anyway, but only after
    // the rows). SQLite runs one write transaction at a time.
    if (ctx.storage.dialect === 'postgres') {
      await trx.selectFrom('account_event_heads').select('account_id').where('account_id', '=', accountId).forUpdate().execute();
    }
    return fn(
      trx,
      async (event) => {
        events.push(await appendEvent(trx, accountId, event, now));
      },
      now.toISOString(),
      nowMs,
    );
  });
  ctx.events.publish(accountId, events);
  return result;
}

/** `If-Match: 3`, `"3"` or `W/"3"` → 3; absent → null; `*` → null (any version). */
export function parseIfMatch(value: string | string[] | undefined): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return null;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!match?.[1]) {
    throw new ApiError('validation_failed', 'If-Match must be the resource version, like "3"', [
      { path: '(header).If-Match', message: 'expected a version number' },
    ]);
  }
  return Number(match[1]);
}

export function staleWrite(what: string, expected: number, current: Record<string, unknown> & { version: number }): ApiError {
  return new ApiError(
    'conflict',
    `${what} was changed by someone else (you had version ${expected}, it is now version ${current.version}); reload and retry`,
    [{ path: '(header).If-Match', message: `expected version ${current.version}` }],
    409,
    { current },
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ITEM_ALIASES: ReadonlyArray<[string, string]> = [
  ['contentId', 'content_id'],
  ['scheduledTime', 'scheduled_time'],
];

/**
 * The guide's React/Vue snippets send `contentId` / `scheduledTime`; they are accepted as aliases.
 * When both spellings are present the alias is left in place, so strict parsing rejects it by name.
 */
export function normalizeItemAliases(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | null = null;
  for (const [alias, canonical] of ITEM_ALIASES) {
    if (Object.prototype.hasOwnProperty.call(value, alias) && !Object.prototype.hasOwnProperty.call(value, canonical)) {
      out ??= { ...value };
      out[canonical] = out[alias];
      delete out[alias];
    }
  }
  return out ?? value;
}

export function validationError(path: string, message: string): ApiError {
  return new ApiError('validation_failed', `${path}: ${message}`, [{ path, message }]);
}
