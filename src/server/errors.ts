/** Errors as the contract shapes them: a code, a message for people, and field details. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { issuesToDetails, type ApiErrorCode, type ErrorDetail } from '../shared/api/common';

const STATUS_BY_CODE: Record<ApiErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_in_progress: 409,
  idempotency_key_reused: 422,
  validation_failed: 400,
  rate_limited: 429,
  payload_too_large: 413,
  internal: 500,
  unavailable: 503,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    status?: number,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.status = status ?? STATUS_BY_CODE[code];
  }

  static validation(error: z.ZodError, prefix = ''): ApiError {
    const details = issuesToDetails(error, prefix);
    const first = details[0];
    const message = first ? `${first.path}: ${first.message}` : 'request is not valid';
    return new ApiError('validation_failed', message, details);
  }

  static notFound(what: string): ApiError {
    return new ApiError('not_found', `${what} not found`);
  }
}

/** Parses with a schema, turning failure into a 400 that names each field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw ApiError.validation(result.error, prefix);
  return result.data;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: ApiError): FastifyReply {
  if (error.code === 'unauthorized') reply.header('WWW-Authenticate', 'Bearer');
  return reply.status(error.status).send({
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      ...(error.extra ?? {}),
      request_id: request.id,
    },
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError | ApiError | Error, request, reply) => {
    if (raw instanceof ApiError) return sendError(reply, request, raw);
    if (raw instanceof z.ZodError) return sendError(reply, request, ApiError.validation(raw));
    const fastifyError = raw as FastifyError;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, request, new ApiError('payload_too_large', 'request body is too large'));
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(reply, request, new ApiError('validation_failed', 'body must be application/json', [{ path: '(body)', message: 'unsupported content type' }], 415));
    }
    if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      // Fastify's own 4xx (malformed JSON, empty body with JSON content type, …).
      return sendError(
        reply,
        request,
        new ApiError('validation_failed', fastifyError.message, [{ path: '(body)', message: fastifyError.message }], fastifyError.statusCode),
      );
    }
    request.log.error({ err: raw }, 'unhandled error');
    return sendError(reply, request, new ApiError('internal', 'internal error'));
  });
}

/** The 404 answer; the HTTP layer installs it with its request hook (http/index.ts). */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, request, new ApiError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
