/**
 * The API bench's server process: the full Cadence server (SQLite in a temp dir) and a bare
 * Fastify instance serving the same /health handler without any of the API's hooks. Runs apart
 * from autocannon so the load generator does not share the server's event loop.
 * A second full server logs every request to a file, as `npm run server` does to stdout.
 * Prints one JSON line {fullUrl, loggedUrl, bareUrl, apiKey} on stdout, then serves until SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createServer } from '../../src/server/app';
import { healthRoutes } from '../../src/server/routes/health';
import { createAccountWithKey } from '../../src/server/storage/accounts';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-api-bench-'));
  // The rate limiter stays in the path (its cost is part of the stack) with a limit no bench reaches.
  const server = await createServer({ dataDir, logger: false, rateLimit: { limit: 1e9, windowMs: 60_000 } });
  const { apiKey } = await createAccountWithKey(server.context.storage.db);
  const fullUrl = await server.listen(0);
  // The same stack as `npm run server` runs it: one request log line per request, into a file.
  const loggedDir = mkdtempSync(join(tmpdir(), 'cadence-api-bench-logged-'));
  const logged = await createServer({
    dataDir: loggedDir,
    logger: { level: 'info' },
    logDestination: join(loggedDir, 'server.log'),
    rateLimit: { limit: 1e9, windowMs: 60_000 },
  });
  const loggedUrl = await logged.listen(0);
  const bare = Fastify({ logger: false });
  healthRoutes(bare, server.context);
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const address = bare.server.address();
  const bareUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  process.stdout.write(`${JSON.stringify({ fullUrl, loggedUrl, bareUrl, apiKey })}\n`);
  const stop = async () => {
    await bare.close();
    await server.close();
    await logged.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(loggedDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
