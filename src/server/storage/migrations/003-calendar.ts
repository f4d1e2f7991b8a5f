import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/** Schedules and their items, with the columns the dispatcher leases and retries with. */
export const calendar: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('schedules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('timezone', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('processing_deadline_ms', bigint, (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('schedules_account_updated_idx').on('schedules').columns(['account_id', 'updated_at']).execute();
    await db.schema
      .createTable('items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('schedule_id', 'text', (c) => c.notNull().references('schedules.id').onDelete('cascade'))
      .addColumn('content_id', 'text', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      /** RFC 3339 as given back to clients. */
      .addColumn('scheduled_time', 'text', (c) => c.notNull())
      /** The same instant in epoch ms: what the dispatcher and range queries compare. */
      .addColumn('scheduled_at_ms', bigint, (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('callbacks', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('published_at', 'text')
      .addColumn('failure_reason', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      // Dispatch: who holds the item and until when; when to try again; the stable delivery id.
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_ms', bigint)
      .addColumn('next_attempt_ms', bigint)
      .addColumn('delivery_id', 'text')
      .execute();
    await db.schema.createIndex('items_schedule_idx').on('items').columns(['schedule_id']).execute();
    await db.schema.createIndex('items_account_time_idx').on('items').columns(['account_id', 'scheduled_at_ms']).execute();
    await db.schema.createIndex('items_due_idx').on('items').columns(['status', 'next_attempt_ms']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('items').execute();
    await db.schema.dropTable('schedules').execute();
  },
});
