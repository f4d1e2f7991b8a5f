/**
 * One log line per request: Fastify logs "incoming request" and "request completed" by default;
 * the completion line alone carries the request (method, url, remote address), the status and
 * the response time, under the request's bindings (reqId, and account_id once authenticated).
 * A response that failed on the socket is still logged, at error level.
 *
 * Why this file does more than configure pino: the line is written for every request, and pino's
 * general path does work this one fixed line does not need, on requests as cheap as
 * `GET /health` (docs/api.md). So:
 *  - Fastify runs without a logger of its own (it would build and validate a child logger per
 *    request); the server's pino logger is `app.log`, and the HTTP layer's request hook gives
 *    each request a RequestLogger, which creates pino's child only when something logs;
 *  - the completion line is assembled from pino's own pieces (level label, time, base
 *    bindings, end of line), byte for byte what `child.info({req, res, responseTime}, msg)`
 *    writes (request-log.test.ts compares them).
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import pino from 'pino';

type ChildArgs = Parameters<FastifyBaseLogger['child']>;
type Bindings = ChildArgs[0];
type LogMethod = (...args: unknown[]) => void;

const INFO = 30;
const COMPLETED_MSG = ',"msg":"request completed"';
const { chindingsSym, endSym, lsCacheSym, streamSym, timeSym } = pino.symbols;

/** What requests are logged with, read through pino.symbols (public API). */
type PinoFields = Record<symbol, unknown> & { levelVal: number };

/** The server's logger: pino, with the request serializers below (`req`, `res`, and pino's `err`). */
export function createServerLogger(level: string, destination: { write(line: string): void }): pino.Logger {
  return pino({ level, serializers: requestLogSerializers, timestamp: epochTime() }, destination);
}

/**
 * pino's default `,"time":<epoch ms>`, made once per millisecond: under load many lines share
 * one, and an epoch in ms is past V8's small integers, so each conversion is a full one.
 */
function epochTime(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"time":${now}`;
    }
    return last;
  };
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
 * A request's logger, bound to its id (and whatever `child` adds, such as the account): pino's
 * child is created on the first log call, so a request that logs nothing but its completion
 * line never builds one.
 */
export class RequestLogger implements FastifyBaseLogger {
  private materialized: FastifyBaseLogger | null = null;

  constructor(
    readonly root: pino.Logger,
    readonly requestId: string,
    /** Bindings added by `child`, beyond the request id. */
    private readonly extra: Bindings | null = null,
    /** The same, as they appear in a line. */
    readonly serializedExtra: string = '',
  ) {}

  /** The pino child this logger stands for, created once. */
  real(): FastifyBaseLogger {
    return (this.materialized ??= this.root.child(this.extra ? { reqId: this.requestId, ...this.extra } : { reqId: this.requestId }));
  }

  /** Whether no pino child exists yet, so the line can be written without one. */
  get isLazy(): boolean {
    return this.materialized === null;
  }

  get level(): string {
    return this.materialized ? this.materialized.level : this.root.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  child(bindings: Bindings, options?: ChildArgs[1]): FastifyBaseLogger {
    if (this.materialized || (options !== undefined && hasOwnKeys(options))) return this.real().child(bindings, options);
    return new RequestLogger(this.root, this.requestId, { ...this.extra, ...bindings }, this.serializedExtra + serializeBindings(bindings));
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

/** `.5`, `.019`, … for 0–999 µs: the digits JSON gives a number of ms rounded to the µs. */
const MICROSECOND_FRACTIONS = Array.from({ length: 1000 }, (_, us) => (us === 0 ? '' : `.${String(us).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * `JSON.stringify(responseTimeOf(reply))` from whole numbers: a double's shortest digits took
 * 0.3–0.5 µs of the line's ~1.9 µs in `perf` (docs/api.md; the request-log test compares the two).
 */
export function responseTimeJson(elapsedMs: number): string {
  const microseconds = Math.round(elapsedMs * 1000);
  if (!Number.isFinite(microseconds)) return 'null';
  const fraction = microseconds % 1000;
  return String((microseconds - fraction) / 1000) + MICROSECOND_FRACTIONS[fraction]!;
}

let lastAddress: string | undefined;
let lastRemote = '';

/**
 * `,"remoteAddress":"…"` (nothing when the socket is gone); the last one is kept, as clients
 * repeat. Not kept on the socket: a property added to Node's sockets gives them a second shape,
 * and the stream code that handles every socket then sees both.
 */
function remotePart(request: FastifyRequest): string {
  const address = request.ip;
  if (address !== lastAddress) {
    lastAddress = address;
    lastRemote = remoteProperty(address);
  }
  return lastRemote;
}

function remoteProperty(address: string | undefined): string {
  return address === undefined ? '' : `,"remoteAddress":${JSON.stringify(address)}`;
}

let lastUrl = '';
let lastUrlJson = '""';

/** The URL as a JSON string; the last one is kept, as polled URLs (health checks) repeat. */
function urlJson(url: string): string {
  if (url !== lastUrl) {
    lastUrl = url;
    lastUrlJson = JSON.stringify(url);
  }
  return lastUrlJson;
}

/** `,"req":{"method":"GET","url":` per method; the method is an HTTP token (Node's parser refuses anything else), nothing to escape. */
const methodParts = new Map<string, string>();

function methodPart(method: string): string {
  let part = methodParts.get(method);
  if (part === undefined) {
    part = `,"req":{"method":"${method}","url":`;
    methodParts.set(method, part);
  }
  return part;
}

/** `},"res":{"statusCode":200},"responseTime":` per status code. */
const statusParts: string[] = [];

function statusPart(status: number): string {
  return (statusParts[status] ??= `},"res":{"statusCode":${status}},"responseTime":`);
}

/** `,"req":{…},"res":{…},"responseTime":…` exactly as pino writes them with the serializers above. */
function requestProperties(request: FastifyRequest, reply: FastifyReply): string {
  return methodPart(request.method) + urlJson(request.url) + remotePart(request) + statusPart(reply.statusCode) + responseTimeJson(reply.elapsedTime);
}

export class OneLineRequestLog extends LogController {
  constructor(private readonly root: pino.Logger) {
    super();
  }

  /** The request's logger; one bound to its id where the request hook did not run. */
  private loggerOf(request: FastifyRequest): RequestLogger {
    return request.log instanceof RequestLogger ? request.log : new RequestLogger(this.root, request.id);
  }

  override incomingRequest(): void {
    // Folded into the completion line.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const log = this.loggerOf(request);
    if (error) {
      log.error({ req: request, res: reply, err: error, responseTime: responseTimeOf(reply) }, 'request errored');
      return;
    }
    if (!log.isLazy) {
      log.info({ req: request, res: reply, responseTime: responseTimeOf(reply) }, 'request completed');
      return;
    }
    const root = this.root as unknown as PinoFields;
    if (root.levelVal > INFO) return;
    // The request id is ours or passed the header check (`[\w.-]`): nothing to escape.
    const line =
      (root[lsCacheSym] as Record<number, string>)[INFO]! +
      (root[timeSym] as () => string)() +
      (root[chindingsSym] as string) +
      `,"reqId":"${log.requestId}"` +
      log.serializedExtra +
      requestProperties(request, reply) +
      COMPLETED_MSG +
      (root[endSym] as string);
    (root[streamSym] as { write(line: string): void }).write(line);
  }

  override serviceUnavailable(): void {
    // Fastify hands over its own (silent) logger here: the server's says it.
    this.root.info({ res: { statusCode: 503 } }, 'request aborted - refusing to accept new requests as server is closing');
  }
}

/** No request lines (embedded engine, tests): nothing is computed for them either. */
export class SilentRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(): void {}
}
