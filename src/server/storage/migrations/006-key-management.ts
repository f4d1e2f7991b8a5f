import type { Kysely } from 'kysely';
import type { DialectMigration } from './index';

/**
 * Key management (docs/api.md): a key's visible prefix and when it was last used, and indexes
 * to revoke every token minted from a key at once.
 */
export const keyManagement: DialectMigration = () => ({
  async up(db: Kysely<unknown>) {
    // Keys made before this migration have no prefix: only their hash was ever stored.
    await db.schema.alterTable('api_keys').addColumn('prefix', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('last_used_at', 'text').execute();
    await db.schema.createIndex('api_keys_account_idx').on('api_keys').columns(['account_id']).execute();
    await db.schema.createIndex('api_keys_prefix_idx').on('api_keys').columns(['prefix']).execute();
    await db.schema.createIndex('access_tokens_key_idx').on('access_tokens').columns(['key_id']).execute();
    await db.schema.createIndex('refresh_tokens_key_idx').on('refresh_tokens').columns(['key_id']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('refresh_tokens_key_idx').execute();
    await db.schema.dropIndex('access_tokens_key_idx').execute();
    await db.schema.dropIndex('api_keys_prefix_idx').execute();
    await db.schema.dropIndex('api_keys_account_idx').execute();
    await db.schema.alterTable('api_keys').dropColumn('last_used_at').execute();
    await db.schema.alterTable('api_keys').dropColumn('prefix').execute();
  },
});
