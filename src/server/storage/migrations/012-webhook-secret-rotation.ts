import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/** The secret an account webhook had before its last rotation, and until when it still signs (docs/api.md). */
export const webhookSecretRotation: DialectMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('account_webhooks').addColumn('previous_secret', 'text').execute();
    await db.schema.alterTable('account_webhooks').addColumn('previous_secret_until_ms', dialect === 'postgres' ? 'bigint' : 'integer').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('account_webhooks').dropColumn('previous_secret_until_ms').execute();
    await db.schema.alterTable('account_webhooks').dropColumn('previous_secret').execute();
  },
});
