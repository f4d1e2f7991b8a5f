/**
 * Builds the Scheduling API server from its parts. The desktop app embeds it (default engine)
 * and `npm run server` runs it standalone; both call `createServer`.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { LIMITS } from '../shared/api/resources';
import type { ServerClock, ServerContext } from './context';
import { startDispatcher, type DispatcherOptions } from './dispatch/index';
import { installErrorHandling } from './errors';
import { LocalEventBus } from './events/log';
import type { LiveOptions } from './events/options';
import { installHttpLayer } from './http/index';
import { createHttpMetrics, installMetrics } from './http/metrics';
import { principalCacheFor } from './http/principal-cache';
import { resolveHttpOptions, type HttpOptions } from './http/options';
import { OneLineRequestLog, SilentRequestLog, createServerLogger } from './http/request-log';
import { bufferedLogDestination } from './log-destination';
import { accountRoutes } from './routes/account';
import { apiRoutes } from './routes/api';
import { openapiRoutes } from './routes/openapi';
import { healthRoutes } from './routes/health';
import { registerLiveUpdates } from './routes/ws';
import { openStorage, type Storage, type StorageOptions } from './storage/database';
import { watchExternalWrites } from './storage/external-writes';
import { SERVER_VERSION } from './version';

/** The most sonic-boom may hold while the destination is behind; beyond it lines are dropped, not held in memory. */
const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

export interface ServerOptions extends StorageOptions, HttpOptions {
  /** Pino logger options, or false for silence (embedded and tests). */
  logger?: boolean | { level: string };
  /** Where log lines go: a file descriptor (default 1, stdout) or a file path. */
  logDestination?: number | string;
  clock?: ServerClock;
  /** WebSocket heartbeat, buffers and event retention (docs/live-and-dispatch.md). */
  live?: LiveOptions;
  /** Firing due items: publisher, leases, polling, outbound policy (docs/live-and-dispatch.md). */
  dispatcher?: DispatcherOptions;
}

export interface CadenceServer {
  app: FastifyInstance;
  context: ServerContext;
  /** Listens on host:port (port 0 = any free port) and returns the base URL. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Request ids: the client's X-Request-Id when it is a plain token, else `req_` + a random prefix
 * for this server + a counter. Unique across processes and restarts like a UUID, without
 * drawing random bytes for every request (randomUUID showed in the /health profile).
 */
function requestIds(): (request: { headers: Record<string, string | string[] | undefined> }) => string {
  const prefix = `req_${randomBytes(9).toString('base64url')}`;
  let counter = 0;
  return (request) => {
    const given = request.headers['x-request-id'];
    return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : prefix + (++counter).toString(36);
  };
}

export async function createServer(options: ServerOptions): Promise<CadenceServer> {
  const storage: Storage = await openStorage(options);
  const context: ServerContext = {
    storage,
    clock: options.clock ?? { now: () => Date.now() },
    version: SERVER_VERSION,
    events: new LocalEventBus(),
  };
  // Logs go to stdout in batches (a write per line costs every request), written asynchronously
  // and all written, in order, by close (log-destination.ts).
  const logStream = options.logger ? bufferedLogDestination(options.logDestination ?? 1, LOG_BUFFER_MAX_BYTES) : null;
  const logger = logStream ? createServerLogger(typeof options.logger === 'object' ? options.logger.level : 'info', logStream) : null;
  const app = Fastify({
    // Fastify's own logger would build and validate a child logger for every request: the HTTP
    // layer gives each request a lazy one instead (http/request-log.ts), and app.log is ours.
    logger: false,
    logController: logger ? new OneLineRequestLog(logger) : new SilentRequestLog(),
    bodyLimit: LIMITS.maxBodyBytes,
    genReqId: requestIds(),
    // Closing waits for in-flight requests; idle keep-alive sockets are dropped at once.
    forceCloseConnections: 'idle',
  });
  if (logger) app.log = logger;
  installErrorHandling(app);
  const httpOptions = resolveHttpOptions(options);
  const metrics = createHttpMetrics();
  installHttpLayer(app, context, httpOptions, metrics, logger);
  // The WebSocket routes, with @fastify/websocket in a scope of their own.
  await registerLiveUpdates(app, context, { live: options.live, databaseUrl: options.databaseUrl, registry: metrics.registry });
  healthRoutes(app, context);
  installMetrics(app, metrics);
  apiRoutes(app, context, httpOptions);
  accountRoutes(app, context, { allowLoopback: options.dispatcher?.allowLoopback ?? false });
  openapiRoutes(app);
  startDispatcher(app, context, options.dispatcher, metrics.registry);
  // The operator's CLI (revoke-key) writes to the same SQLite file: forget cached credentials.
  const stopWatching = storage.dialect === 'sqlite' ? watchExternalWrites(storage.db, () => principalCacheFor(context).externalChange()) : null;

  let closed = false;
  return {
    app,
    context,
    async listen(port, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      stopWatching?.();
      await app.close();
      await storage.close();
      // Last, so the lines written while closing (leases released, streams ended) are out too.
      await logStream?.close();
    },
  };
}
