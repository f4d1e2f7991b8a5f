/**
 * JSON bodies are parsed from a Buffer that is kept on the request: request signatures and
 * idempotency fingerprints are computed over the bytes as sent, not over re-serialized JSON.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';

export function installRawJsonParser(app: FastifyInstance): void {
  app.decorateRequest('rawBody', null);
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json\s*(;.*)?$/i, { parseAs: 'buffer' }, (request, body, done) => {
    const buffer = body as Buffer;
    request.rawBody = buffer;
    if (buffer.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(buffer.toString('utf8')) as unknown);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'malformed JSON';
      done(new ApiError('validation_failed', `body is not valid JSON: ${message}`, [{ path: '(body)', message: 'malformed JSON' }]), undefined);
    }
  });
}
