/**
 * One storage layer, two dialects: SQLite (embedded engine, default) and PostgreSQL (teams),
 * chosen by configuration. Everything above this file speaks Kysely only.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';
import { migrateToLatest } from './migrations';
import { SchemaScopedPostgresDialect } from './postgres-dialect';
import { sqliteOptions } from './sqlite-native';
import { withStatementCache } from './sqlite-statements';

// int8 columns hold epoch milliseconds and seqs, far below 2^53: read them as numbers, not strings.
pg.types.setTypeParser(20, (value) => Number(value));

export type DialectName = 'sqlite' | 'postgres';

export interface StorageOptions {
  /** postgres://… selects PostgreSQL; otherwise SQLite under dataDir. */
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** PostgreSQL schema to use (tests give each run its own). */
  pgSchema?: string | undefined;
}

export interface Storage {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const SQLITE_FILE_NAME = 'cadence-server.sqlite';

export async function openStorage(options: StorageOptions): Promise<Storage> {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.pgSchema);
  if (!options.dataDir) throw new Error('storage needs --data-dir (SQLite) or DATABASE_URL (PostgreSQL)');
  return openSqlite(options.dataDir);
}

async function openSqlite(dataDir: string): Promise<Storage> {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, SQLITE_FILE_NAME);
  const connection = new SQLite(file, sqliteOptions());
  connection.pragma('journal_mode = WAL');
  // FULL: a write the API has acknowledged survives a power loss or an OS crash too (under WAL,
  // NORMAL may roll back the last commits there); PostgreSQL's default commit is as durable.
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  await migrateToLatest(db, 'sqlite');
  return storageOver(db, 'sqlite');
}

async function openPostgres(url: string, schema: string | undefined): Promise<Storage> {
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name ${schema}`);
  // search_path as a startup parameter: every pooled connection has it from its first query
  // (a 'connect' hook attached after the first query left that connection on `public`).
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  if (schema) await pool.query(`create schema if not exists ${schema}`);
  const db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }, schema) });
  await migrateToLatest(db, 'postgres', schema);
  return storageOver(db, 'postgres');
}

function storageOver(db: Kysely<Database>, dialect: DialectName): Storage {
  return {
    db,
    dialect,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
