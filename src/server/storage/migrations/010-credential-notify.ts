import { sql, type Kysely } from 'kysely';
import type { DialectMigration } from './index';

/**
 * PostgreSQL: a NOTIFY on `cadence_credentials` ("<schema> <key id>") when a key is revoked,
 * by whichever process or CLI revoked it, so every server on the database forgets the key's
 * cached credentials at once instead of after their cache lifetime. SQLite has no such channel.
 */
export const credentialNotify: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    if (dialect !== 'postgres') return;
    await sql`
      create or replace function cadence_key_revoked_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('cadence_credentials', current_schema() || ' ' || NEW.id);
        return null;
      end $$`.execute(db);
    await sql`
      create trigger api_keys_revoked_notify after update of revoked_at on api_keys
      for each row when (OLD.revoked_at is null and NEW.revoked_at is not null)
      execute function cadence_key_revoked_notify()`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    if (dialect !== 'postgres') return;
    await sql`drop trigger if exists api_keys_revoked_notify on api_keys`.execute(db);
    await sql`drop function if exists cadence_key_revoked_notify()`.execute(db);
  },
});
