/**
 * One log line per request: Fastify logs "incoming request" and "request completed" by default;
 * the completion line alone carries the request (method, url, remote address), the status and
 * the response time, under the request's bindings (reqId, and account_id once authenticated).
 * A response that failed on the socket is still logged, at error level.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {
    // Folded into the completion line.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
