/**
 * Real servers on loopback for tests, on either storage dialect:
 *  - sqlite: a fresh temp data dir, removed on close;
 *  - postgres: a fresh schema in DATABASE_URL's database (default the CI one), dropped on close.
 *
 *   forEachDialect((dialect) => {
 *     let t: TestServer;
 *     beforeEach(async () => { t = await startTestServer({ dialect }); });
 *     afterEach(() => t.close());
 *     it('…', async () => { await fetch(`${t.url}/api/v1/…`, { headers: t.headers() }); });
 *   });
 *
 * Set CADENCE_TEST_DIALECTS=sqlite to run only one dialect locally.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { createServer, type CadenceServer, type ServerOptions } from '../app';
import { createAccountWithKey, type CreatedKey } from '../storage/accounts';

export type TestDialect = 'sqlite' | 'postgres';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const TEST_DIALECTS: TestDialect[] = (process.env.CADENCE_TEST_DIALECTS ?? 'sqlite,postgres')
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is TestDialect => d === 'sqlite' || d === 'postgres');

export interface StartTestServerOptions extends Omit<ServerOptions, 'dataDir' | 'databaseUrl' | 'pgSchema'> {
  dialect: TestDialect;
  /** Give the first account's key a signing secret. */
  signingSecret?: boolean;
}

export interface TestServer {
  dialect: TestDialect;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  apiKey: string;
  accountId: string;
  signingSecret: string | null;
  server: CadenceServer;
  /** Where the SQLite file lives (sqlite only). */
  dataDir: string | null;
  /** The PostgreSQL schema of this server (postgres only). */
  pgSchema: string | null;
  /** Authorization (and JSON content type) headers for the first account, plus `extra`. */
  headers(extra?: Record<string, string>): Record<string, string>;
  /** Another account with its own key, in the same database. */
  createAccount(options?: { withSigningSecret?: boolean; name?: string }): Promise<CreatedKey>;
  /** Closes the server and removes its data dir / drops its schema. Safe to call twice. */
  close(): Promise<void>;
}

export async function startTestServer(options: StartTestServerOptions): Promise<TestServer> {
  const { dialect, signingSecret, ...rest } = options;
  // Tests use fixed calendar dates; a dispatcher left running would fire them once those dates
  // pass and change what the test sees. Tests of dispatch turn it on explicitly.
  const serverOptions = { ...rest, dispatcher: rest.dispatcher ?? { enabled: false } };
  let dataDir: string | null = null;
  let pgSchema: string | null = null;
  let server: CadenceServer;
  if (dialect === 'sqlite') {
    dataDir = mkdtempSync(join(tmpdir(), 'cadence-test-'));
    server = await createServer({ logger: false, ...serverOptions, dataDir });
  } else {
    pgSchema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    // Created (and committed) before the server's pool opens, so no pooled connection ever
    // starts with a search_path that does not exist yet.
    await withPgClient((client) => client.query(`create schema if not exists ${pgSchema}`));
    const schema = pgSchema;
    server = await createServer({ logger: false, ...serverOptions, databaseUrl: TEST_DATABASE_URL, pgSchema: schema });
  }
  const created = await createAccountWithKey(server.context.storage.db, { withSigningSecret: signingSecret ?? false });
  const url = await server.listen(0, '127.0.0.1');
  let closed = false;
  return {
    dialect,
    url,
    apiKey: created.apiKey,
    accountId: created.accountId,
    signingSecret: created.signingSecret,
    server,
    dataDir,
    pgSchema,
    headers(extra = {}) {
      return { authorization: `Bearer ${created.apiKey}`, 'content-type': 'application/json', ...extra };
    },
    createAccount(accountOptions = {}) {
      return createAccountWithKey(server.context.storage.db, accountOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await server.close();
      } finally {
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        if (pgSchema) await dropSchema(pgSchema);
      }
    },
  };
}

async function withPgClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  await withPgClient(async (client) => {
    await client.query(`drop schema if exists ${schema} cascade`);
  });
}

/** Runs a describe block once per dialect (sqlite, postgres), named after it. */
export function forEachDialect(body: (dialect: TestDialect) => void): void {
  for (const dialect of TEST_DIALECTS) describe(dialect, () => body(dialect));
}
