/**
 * Versioned migrations, one list for both dialects. A migration that must differ per dialect
 * branches on `dialect`; most use Kysely's portable schema builder.
 */
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { DialectName } from '../database';
import { initial } from './001-initial';
import { events } from './002-events';
import { calendar } from './003-calendar';
import { api } from './005-api';
import { liveDispatch } from './004-live-dispatch';
import { keyManagement } from './006-key-management';
import { accountWebhooks } from './008-account-webhooks';
import { rateLimit } from './007-rate-limit';
import { credentialNotify } from './010-credential-notify';
import { webhookSecretRotation } from './012-webhook-secret-rotation';

export type DialectMigration = (dialect: DialectName) => Migration;

const MIGRATIONS: Record<string, DialectMigration> = {
  '001-initial': initial,
  '002-events': events,
  '003-calendar': calendar,
  '005-api': api,
  '004-live-dispatch': liveDispatch,
  '006-key-management': keyManagement,
  '008-account-webhooks': accountWebhooks,
  '007-rate-limit': rateLimit,
  '010-credential-notify': credentialNotify,
  '012-webhook-secret-rotation': webhookSecretRotation,
};

/** `schema` (PostgreSQL): where the migration bookkeeping lives; without it Kysely would accept
 * another schema's kysely_migration_lock as ours. */
export async function migrateToLatest<DB>(db: Kysely<DB>, dialect: DialectName, schema?: string): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(dialect)])),
  };
  // Two people number migrations (odd/even); a database may have run 005 before 004 existed.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? '');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${cause}`);
  }
}
