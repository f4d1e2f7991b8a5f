import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/** Each account's own webhook endpoint and Standard Webhooks signing secret (docs/api.md, "Account webhook"). */
export const accountWebhooks: DialectMigration = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('account_webhooks')
      .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
      .addColumn('url', 'text', (c) => c.notNull())
      // Stored as given: the dispatcher must be able to sign with it (like api_keys.signing_secret).
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('account_webhooks').execute();
  },
});
