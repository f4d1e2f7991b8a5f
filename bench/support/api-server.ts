/**
 * One API bench server process, as `npm run server` runs one server per process:
 *   bare         a bare Fastify instance serving the same /health handler without any of the
 *                API's hooks (a full server is built alongside for the handler's storage, and
 *                serves nothing);
 *   bare-logged  the same bare route with the server's request log line, written to a file: the
 *                baseline for the logged server, which differs from it by the middleware alone;
 *   full         the full Cadence server (SQLite in a temp dir), no request log (the embedded engine);
 *   logged       the same with one request log line per request, written to a file.
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
import { OneLineRequestLog, createServerLogger } from '../../src/server/http/request-log';
import { bufferedLogDestination } from '../../src/server/log-destination';
import { healthRoutes } from '../../src/server/routes/health';
import { createAccountWithKey } from '../../src/server/storage/accounts';

const VARIANTS = ['bare', 'bare-logged', 'full', 'logged'] as const;
type Variant = (typeof VARIANTS)[number];

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
  // The bare route's request log: the server's logger and line, to a file of its own.
  const bareLog = variant === 'bare-logged' ? bufferedLogDestination(join(dataDir, 'bare.log'), 16 * 1024 * 1024) : null;
  const bare = Fastify({ logger: false, ...(bareLog ? { logController: new OneLineRequestLog(createServerLogger('info', bareLog)) } : {}) });
  if (variant === 'bare' || variant === 'bare-logged') {
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
    await bareLog?.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

const variant = process.argv[2];
if (!VARIANTS.includes(variant as Variant)) {
  process.stderr.write(`usage: api-server.ts ${VARIANTS.join('|')}\n`);
  process.exit(2);
}
main(variant as Variant).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
