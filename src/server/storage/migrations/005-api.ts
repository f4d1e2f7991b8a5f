import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/**
 * Tables of the HTTP API: issued tokens (hashed), idempotency records, seen request signatures,
 * ingested engagement metrics and stored optimization proposals.
 */
export const api: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('access_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('family_id', 'text', (c) => c.notNull())
      .addColumn('expires_at_ms', bigint, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_tokens_family_idx').on('access_tokens').columns(['family_id']).execute();
    await db.schema
      .createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('family_id', 'text', (c) => c.notNull())
      // active → rotated (used once) ; any → revoked (family revoked after reuse)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('expires_at_ms', bigint, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').columns(['family_id']).execute();
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('response_status', 'integer')
      .addColumn('response_body', 'text')
      .addColumn('response_content_type', 'text')
      .addColumn('locked_at_ms', bigint, (c) => c.notNull())
      .addColumn('expires_at_ms', bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['account_id', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_expires_idx').on('idempotency_keys').columns(['expires_at_ms']).execute();
    await db.schema
      .createTable('request_signatures')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('expires_at_ms', bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('request_signatures_pk', ['account_id', 'signature'])
      .execute();
    await db.schema.createIndex('request_signatures_expires_idx').on('request_signatures').columns(['expires_at_ms']).execute();
    await db.schema
      .createTable('metric_observations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('content_id', 'text', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('channel', 'text')
      .addColumn('published_at', 'text', (c) => c.notNull())
      .addColumn('published_at_ms', bigint, (c) => c.notNull())
      .addColumn('impressions', bigint, (c) => c.notNull())
      .addColumn('engagements', bigint, (c) => c.notNull())
      .addColumn('breakdowns', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('metric_observations_natural_key', ['account_id', 'content_id', 'platform', 'published_at_ms'])
      .execute();
    await db.schema
      .createIndex('metric_observations_account_time_idx')
      .on('metric_observations')
      .columns(['account_id', 'published_at_ms'])
      .execute();
    await db.schema
      .createTable('optimizations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('schedule_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('apply_requested', 'integer', (c) => c.notNull())
      /** JSON: the request as validated. */
      .addColumn('request', 'text', (c) => c.notNull())
      /** JSON: the OptimizationResult body once computed. */
      .addColumn('result', 'text')
      /** JSON: {item_id: version} of every item the proposal would move, when it was computed. */
      .addColumn('item_versions', 'text', (c) => c.notNull())
      /** JSON: item ids already applied. */
      .addColumn('applied_item_ids', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('optimizations_account_idx').on('optimizations').columns(['account_id', 'schedule_id']).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['optimizations', 'metric_observations', 'request_signatures', 'idempotency_keys', 'refresh_tokens', 'access_tokens']) {
      await db.schema.dropTable(table).execute();
    }
  },
});
