/**
 * One log line per request: Fastify logs "incoming request" and "request completed" by default;
 * the completion line alone carries the request (method, url, remote address), the status and
 * the response time, under the request's bindings (reqId, and account_id once authenticated).
 * A response that failed on the socket is still logged, at error level.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

type ChildArgs = Parameters<FastifyBaseLogger['child']>;

/**
 * The request's own logger. Fastify passes `{}` as child options when the route sets none, and
 * pino treats any options object as worth rebuilding the child's formatters for, on every
 * request; without options pino takes its cheap path.
 */
export function requestChildLogger(logger: FastifyBaseLogger, bindings: ChildArgs[0], options: NonNullable<ChildArgs[1]>): FastifyBaseLogger {
  return logger.child(bindings, hasOwnKeys(options) ? options : undefined);
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

export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {
    // Folded into the completion line.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
