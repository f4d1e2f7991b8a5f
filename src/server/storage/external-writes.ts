/**
 * Commits made to the SQLite file by another process (the operator's `npm run server -- revoke-key`
 * while the server runs): SQLite's `PRAGMA data_version` changes on this connection exactly when
 * another connection has committed, so a cheap poll tells the server to forget what it cached.
 * PostgreSQL has its own channel (LISTEN/NOTIFY, events/pg-relay.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';

export const EXTERNAL_WRITE_POLL_MS = 500;

/** Calls onChange after each poll that sees another connection's commit; returns stop(). */
export function watchExternalWrites(db: Kysely<Database>, onChange: () => void, intervalMs = EXTERNAL_WRITE_POLL_MS): () => void {
  let last: number | null = null;
  let polling = false;
  let stopped = false;
  const poll = async (): Promise<void> => {
    const result = await sql<{ data_version: number }>`pragma data_version`.execute(db);
    const version = Number(result.rows[0]?.data_version);
    if (stopped || !Number.isFinite(version)) return;
    if (last !== null && version !== last) onChange();
    last = version;
  };
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    // A failed poll (database closing, busy) only delays the next look.
    poll()
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, intervalMs);
  timer.unref();
  void poll().catch(() => undefined);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
