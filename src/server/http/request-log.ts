/**
 * One log line per request: Fastify logs "incoming request" and "request completed" by default;
 * the completion line alone carries the request (method, url, remote address), the status and
 * the response time, under the request's bindings (reqId, and account_id once authenticated).
 * A response that failed on the socket is still logged, at error level.
 *
 * Why this file does more than configure pino: the line is written for every request, and pino's
 * general path (a child logger per request, serializers, a walk over the logged object) does
 * work this one fixed line does not need, on requests as cheap as `GET /health` (docs/api.md).
 * So a request's logger is created lazily, only when something logs during the request, and
 * the completion line is assembled from pino's own pieces (level label, time, base bindings,
 * end of line), byte for byte what `child.info({req, res, responseTime}, msg)` writes
 * (request-log.test.ts compares them).
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import pino from 'pino';

type ChildArgs = Parameters<FastifyBaseLogger['child']>;
type Bindings = ChildArgs[0];
type LogMethod = (...args: unknown[]) => void;

const INFO = 30;
const COMPLETED_MSG = ',"msg":"request completed"';
const { chindingsSym, endSym, lsCacheSym, streamSym, timeSym } = pino.symbols;

/**
 * What the completion line needs from a pino logger, read through pino.symbols (public API).
 * Read live on each line: a logger's level and bindings can change while it runs.
 */
type PinoFields = Record<symbol, unknown> & { levelVal?: unknown };

let lastCheckedRoot: FastifyBaseLogger | null = null;
let lastRootIsPino = false;

/** Whether the completion line can be assembled from this logger's pieces (checked once per root). */
function isPino(logger: FastifyBaseLogger): boolean {
  if (logger === lastCheckedRoot) return lastRootIsPino;
  const fields = logger as unknown as PinoFields;
  const stream = fields[streamSym];
  lastRootIsPino =
    typeof fields[timeSym] === 'function' &&
    typeof fields[chindingsSym] === 'string' &&
    typeof fields[endSym] === 'string' &&
    typeof fields[lsCacheSym] === 'object' &&
    typeof fields.levelVal === 'number' &&
    typeof stream === 'object' &&
    stream !== null &&
    'write' in stream &&
    typeof stream.write === 'function';
  lastCheckedRoot = logger;
  return lastRootIsPino;
}

/** The completion line as pino would write it through the request's child, or null below its level. */
function completionLine(root: FastifyBaseLogger, serializedBindings: string, request: FastifyRequest, reply: FastifyReply): string | null {
  const fields = root as unknown as PinoFields;
  if ((fields.levelVal as number) > INFO) return null;
  return (
    (fields[lsCacheSym] as Record<number, string>)[INFO]! +
    (fields[timeSym] as () => string)() +
    (fields[chindingsSym] as string) +
    serializedBindings +
    requestProperties(request, reply) +
    COMPLETED_MSG +
    (fields[endSym] as string)
  );
}

function writeLine(root: FastifyBaseLogger, line: string): void {
  ((root as unknown as PinoFields)[streamSym] as { write(line: string): void }).write(line);
}

/** `,"key":value` per binding, as pino serializes string and number bindings. */
function serializeBindings(bindings: Bindings): string {
  let out = '';
  for (const key in bindings) {
    const value: unknown = bindings[key];
    if (value !== undefined && Object.hasOwn(bindings, key)) out += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return out;
}

/**
 * A request's logger: pino's child is created on the first log call, so a request that logs
 * nothing but its completion line never builds one.
 */
export class LazyRequestLogger implements FastifyBaseLogger {
  private materialized: FastifyBaseLogger | null = null;

  constructor(
    private readonly root: FastifyBaseLogger,
    private readonly bindings: Bindings,
    /** The bindings as they appear in a line, after the root's own (pid, hostname). */
    readonly serializedBindings: string,
  ) {}

  /** The pino child this logger stands for, created once. */
  real(): FastifyBaseLogger {
    return (this.materialized ??= this.root.child(this.bindings));
  }

  /** Whether no pino child exists yet, so the line can be written without one. */
  get isLazy(): boolean {
    return this.materialized === null;
  }

  get rootLogger(): FastifyBaseLogger {
    return this.root;
  }

  get level(): string {
    return this.materialized ? this.materialized.level : this.root.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  child(bindings: Bindings, options?: ChildArgs[1]): FastifyBaseLogger {
    if (options !== undefined && hasOwnKeys(options)) return this.real().child(bindings, options);
    if (this.materialized) return this.materialized.child(bindings);
    return new LazyRequestLogger(this.root, { ...this.bindings, ...bindings }, this.serializedBindings + serializeBindings(bindings));
  }

  fatal(...args: unknown[]): void {
    (this.real().fatal as LogMethod)(...args);
  }

  error(...args: unknown[]): void {
    (this.real().error as LogMethod)(...args);
  }

  warn(...args: unknown[]): void {
    (this.real().warn as LogMethod)(...args);
  }

  info(...args: unknown[]): void {
    (this.real().info as LogMethod)(...args);
  }

  debug(...args: unknown[]): void {
    (this.real().debug as LogMethod)(...args);
  }

  trace(...args: unknown[]): void {
    (this.real().trace as LogMethod)(...args);
  }

  silent(): void {
    // Nothing, as pino's silent.
  }
}

/**
 * The request's own logger (Fastify's childLoggerFactory). Fastify passes `{}` as child options
 * when the route sets none; options that do say something (a route's log level or serializers)
 * get pino's child at once.
 */
export function requestChildLogger(logger: FastifyBaseLogger, bindings: ChildArgs[0], options: NonNullable<ChildArgs[1]>): FastifyBaseLogger {
  if (hasOwnKeys(options)) return logger.child(bindings, options);
  return isPino(logger) ? new LazyRequestLogger(logger, bindings, serializeBindings(bindings)) : logger.child(bindings);
}

function hasOwnKeys(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

/**
 * What the line says of the request and the reply. Fastify's default request serializer also
 * reads the host, the client port and Accept-Version, each through a getter, on every request.
 */
export const requestLogSerializers = {
  req: (request: FastifyRequest) => ({ method: request.method, url: request.url, remoteAddress: request.ip }),
  res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
};

/**
 * The response time in ms, to the microsecond: the full double (0.018757999999252206) says
 * nothing more, and turning it into its 17 digits took ~0.9 µs per line (measured in the server).
 */
function responseTimeOf(reply: FastifyReply): number {
  return Math.round(reply.elapsedTime * 1000) / 1000;
}

/** `,"req":{…},"res":{…},"responseTime":…` exactly as pino writes them with the serializers above. */
function requestProperties(request: FastifyRequest, reply: FastifyReply): string {
  const remoteAddress = request.ip;
  const responseTime = responseTimeOf(reply);
  return (
    // The method is an HTTP token (Node's parser refuses anything else): nothing to escape.
    `,"req":{"method":"${request.method}","url":${JSON.stringify(request.url)}` +
    (remoteAddress === undefined ? '' : `,"remoteAddress":${JSON.stringify(remoteAddress)}`) +
    `},"res":{"statusCode":${reply.statusCode}},"responseTime":${Number.isFinite(responseTime) ? responseTime : null}`
  );
}

export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {
    // Folded into the completion line.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const log = reply.log;
    if (error) {
      log.error({ req: request, res: reply, err: error, responseTime: responseTimeOf(reply) }, 'request errored');
      return;
    }
    if (log instanceof LazyRequestLogger && log.isLazy) {
      const root = log.rootLogger;
      if (isPino(root)) {
        const line = completionLine(root, log.serializedBindings, request, reply);
        if (line !== null) writeLine(root, line);
        return;
      }
    }
    log.info({ req: request, res: reply, responseTime: responseTimeOf(reply) }, 'request completed');
  }
}

/** No request lines (embedded engine, tests): nothing is computed for them either. */
export class SilentRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(): void {}
}
