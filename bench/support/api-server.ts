/**
 * One API bench server process, as `npm run server` runs one server per process:
 *   bare    a bare Fastify instance serving the same /health handler without any of the API's
 *           hooks (a full server is built alongside for the handler's storage, and serves nothing);
 *   full    the full Cadence server (SQLite in a temp dir), no request log (the embedded engine);
 *   logged  the same with one request log line per request, written to a file.
 * One variant per process, because several servers in one process share Fastify's and our code
 * with several Request/Reply shapes (polymorphic property access), which a real deployment
 * never sees.
 * Prints one JSON line {url, apiKey} on stdout, then serves until SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createServer } from '../../src/server/app';
import { healthRoutes } from '../../src/server/routes/health';
import { createAccountWithKey } from '../../src/server/storage/accounts';

type Variant = 'bare' | 'full' | 'logged';

async function main(variant: Variant): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `cadence-api-bench-${variant}-`));
  // The rate limiter stays in the path (its cost is part of the stack) with a limit no bench reaches.
  const server = await createServer({
    dataDir,
    logger: variant === 'logged' ? { level: 'info' } : false,
    logDestination: join(dataDir, 'server.log'),
    rateLimit: { limit: 1e9, windowMs: 60_000 },
  });
  const { apiKey } = await createAccountWithKey(server.context.storage.db);
  let url: string;
  const bare = Fastify({ logger: false });
  if (variant === 'bare') {
    healthRoutes(bare, server.context);
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const address = bare.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    url = await server.listen(0);
  }
  process.stdout.write(`${JSON.stringify({ url, apiKey })}\n`);
  const stop = async () => {
    await bare.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

const variant = process.argv[2];
if (variant !== 'bare' && variant !== 'full' && variant !== 'logged') {
  process.stderr.write('usage: api-server.ts bare|full|logged\n');
  process.exit(2);
}
main(variant).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
