/**
 * PostgreSQL dialect whose introspection sees one schema only.
 *
 * Kysely's migrator asks the introspector for *every* table of *every* schema just to learn
 * whether its bookkeeping table exists. Kysely's PostgreSQL introspector calls has_schema_privilege
 * and pg_get_serial_sequence by schema name, so a schema dropped by someone else in that instant
 * fails our start-up with `schema "…" does not exist`, and a kysely_migration table in another
 * schema could be mistaken for ours. Nothing else in the server introspects.
 */
import {
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Kysely,
  type PostgresDialectConfig,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

export class SchemaScopedPostgresDialect extends PostgresDialect {
  readonly #schema: string | undefined;

  /** `schema` undefined means the connection's current_schema(). */
  constructor(config: PostgresDialectConfig, schema: string | undefined) {
    super(config);
    this.#schema = schema;
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.#schema);
  }
}

class SchemaScopedIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  readonly #schema: string | undefined;
  readonly #schemas: PostgresIntrospector;

  constructor(db: Kysely<unknown>, schema: string | undefined) {
    this.#db = db;
    this.#schema = schema;
    this.#schemas = new PostgresIntrospector(db);
  }

  getSchemas(): Promise<SchemaMetadata[]> {
    // A plain pg_namespace read: no per-schema function calls, so concurrent drops cannot fail it.
    return this.#schemas.getSchemas();
  }

  /** Names only (columns are not needed by the migrator), from our schema alone. */
  async getTables(_options?: DatabaseMetadataOptions): Promise<TableMetadata[]> {
    const { rows } = await sql<{ schema: string; name: string; is_view: boolean }>`
      select table_schema as schema, table_name as name, table_type = 'VIEW' as is_view
      from information_schema.tables
      where table_schema = coalesce(${this.#schema ?? null}::text, current_schema())`.execute(this.#db);
    return rows.map((row) => ({ schema: row.schema, name: row.name, isView: row.is_view, columns: [] }));
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}
