/**
 * JSON bodies are parsed from a Buffer that is kept on the request: request signatures and
 * idempotency fingerprints are computed over the bytes as sent, not over re-serialized JSON.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';

export function installRawJsonParser(app: FastifyInstance): void {
  app.decorateRequest('rawBody', null);
  // Fastify's own parser (secure-json-parse): `__proto__` / `constructor.prototype` keys are refused.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json\s*(;.*)?$/i, { parseAs: 'buffer' }, (request, body, done) => {
    const buffer = body as Buffer;
    request.rawBody = buffer;
    if (buffer.length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, buffer.toString('utf8'), (error, value) => {
      if (error) {
        done(new ApiError('validation_failed', error.message, [{ path: '(body)', message: error.message }]), undefined);
      } else {
        done(null, value);
      }
    });
  });
}
