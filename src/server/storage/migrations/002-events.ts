import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/** The per-account event log behind the WebSocket's gapless `seq` and `since` replay. */
export const events: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('account_event_heads')
      .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
      .addColumn('head_seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('events')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('schedule_id', 'text')
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('events_pk', ['account_id', 'seq'])
      .execute();
    await db.schema.createIndex('events_occurred_idx').on('events').columns(['occurred_at']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('events').execute();
    await db.schema.dropTable('account_event_heads').execute();
  },
});
