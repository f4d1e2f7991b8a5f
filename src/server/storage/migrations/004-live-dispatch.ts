import { sql, type Kysely } from 'kysely';
import type { DialectMigration } from './index';

/**
 * Live updates and dispatch: the due-soon marker, an index the dispatcher scans by, the durable
 * queue of on_published/on_failed callbacks, and (PostgreSQL) a NOTIFY on every new event so
 * other server processes on the same database wake their WebSocket subscribers.
 */
export const liveDispatch: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
    // The scheduled_at_ms the item.due_soon event was sent for: a rescheduled item is announced again.
    await db.schema.alterTable('items').addColumn('due_soon_for_ms', bigint).execute();
    await db.schema.createIndex('items_status_time_idx').on('items').columns(['status', 'scheduled_at_ms']).execute();
    await db.schema.createIndex('items_lease_owner_idx').on('items').columns(['lease_owner']).execute();

    await db.schema
      .createTable('callback_deliveries')
      // Also the webhook-id header: the same on every retry, so receivers can drop duplicates.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('item_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_ms', bigint, (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_ms', bigint)
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'text')
      .execute();
    await db.schema
      .createIndex('callback_deliveries_due_idx')
      .on('callback_deliveries')
      .columns(['status', 'next_attempt_ms'])
      .execute();

    if (dialect === 'postgres') {
      // One notification per (schema, account) per transaction: PostgreSQL folds identical
      // payloads, and delivers them only at commit, so a listener never reads ahead of it.
      await sql`
        create or replace function cadence_events_notify() returns trigger language plpgsql as $$
        begin
          perform pg_notify('cadence_events', current_schema() || ' ' || NEW.account_id);
          return null;
        end $$`.execute(db);
      await sql`create trigger events_notify after insert on events for each row execute function cadence_events_notify()`.execute(db);
    }
  },
  async down(db: Kysely<unknown>) {
    if (dialect === 'postgres') {
      await sql`drop trigger if exists events_notify on events`.execute(db);
      await sql`drop function if exists cadence_events_notify()`.execute(db);
    }
    await db.schema.dropTable('callback_deliveries').execute();
    await db.schema.dropIndex('items_lease_owner_idx').execute();
    await db.schema.dropIndex('items_status_time_idx').execute();
    await db.schema.alterTable('items').dropColumn('due_soon_for_ms').execute();
  },
});
