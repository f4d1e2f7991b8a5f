import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/**
 * Rate-limit counters shared by every server process on one database (docs/api.md "Rate
 * limits"): one row per bucket (account or client IP) and fixed window, counted by an upsert.
 */
export const rateLimit: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('rate_limit_windows')
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('window_start_ms', bigint, (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('expires_at_ms', bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('rate_limit_windows_pk', ['bucket', 'window_start_ms'])
      .execute();
    await db.schema.createIndex('rate_limit_windows_expires_idx').on('rate_limit_windows').columns(['expires_at_ms']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('rate_limit_windows').execute();
  },
});
