/**
 * GET /openapi.json: the contract as OpenAPI 3.1, generated from the shared zod schemas, so the
 * document cannot drift from what the server validates. OpenAPI has no words for WebSocket
 * messages: /ws and /ws/schedules/{id} are described as GET upgrades (101), and the messages
 * each way as component schemas listed in the `x-websocket-messages` extension.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import * as account from '../../shared/api/account';
import { ApiErrorBodySchema } from '../../shared/api/common';
import { ClientWsMessageSchema, EVENT_TYPES, ServerControlMessageSchema, ServerEventSchema, ServerWsMessageSchema } from '../../shared/api/events';
import * as api from '../../shared/api/resources';
import { resolveLiveOptions } from '../events/options';
import { SERVER_VERSION } from '../version';
import { WS_CLOSE } from './ws';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

interface Operation {
  summary: string;
  body?: z.ZodType;
  response?: z.ZodType;
  status?: string;
  /** Another success status with the same body (PUT: 201 created, 200 replaced). */
  alsoStatus?: string;
  params?: string[];
  query?: Array<{ name: string; description: string; required?: boolean }>;
  idempotent?: boolean;
  ifMatch?: boolean;
  public?: boolean;
}

const errorResponse = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

export function buildOpenApi(): JsonSchema {
  const ops: Record<string, Record<string, Operation>> = {
    '/api/v1/auth/token': { post: { summary: 'Exchange an API key or a refresh token for tokens', body: api.TokenRequestSchema, response: api.TokenResponseSchema, public: true } },
    '/api/v1/scheduling/platforms': { get: { summary: 'Supported platforms and their defaults', response: api.PlatformListSchema } },
    '/api/v1/scheduling/calendar': {
      post: { summary: 'Create a schedule', body: api.CreateScheduleSchema, response: api.ScheduleSchema, status: '201', idempotent: true },
      get: {
        summary: 'List schedules',
        response: api.ScheduleListSchema,
        query: [
          { name: 'from', description: 'only schedules with an item at or after this instant' },
          { name: 'to', description: 'only schedules with an item before this instant' },
          { name: 'updated_since', description: 'only schedules updated at or after this instant' },
          { name: 'cursor', description: 'next_cursor of the previous page' },
          { name: 'limit', description: '1..200, default 50' },
          { name: 'expand', description: 'items: each schedule with its items (a page then holds at most 10,000 items; metrics only on GET by id)' },
        ],
      },
    },
    '/api/v1/scheduling/calendar/{id}': {
      get: { summary: 'Read a schedule', response: api.ScheduleSchema, params: ['id'], query: [{ name: 'expand', description: 'items,metrics (also expand[]=)' }] },
      patch: { summary: 'Change title, timezone or deadline', body: api.SchedulePatchSchema, response: api.ScheduleSchema, params: ['id'], ifMatch: true },
      delete: { summary: 'Cancel the schedule and its unpublished items', response: api.ScheduleSchema, params: ['id'], ifMatch: true },
    },
    '/api/v1/scheduling/calendar/{id}/items': {
      post: { summary: 'Add an item (or {"items": [...]})', body: api.NewItemSchema, response: api.ItemSchema, status: '201', params: ['id'], idempotent: true },
    },
    '/api/v1/scheduling/calendar/{id}/items/{item_id}': {
      patch: { summary: 'Reschedule or edit an item', body: api.ItemPatchSchema, response: api.ItemSchema, params: ['id', 'item_id'], ifMatch: true },
      delete: { summary: 'Remove an item that is not processing or published', response: api.ItemSchema, params: ['id', 'item_id'], ifMatch: true },
    },
    '/api/v1/scheduling/calendar/{id}/optimize': {
      post: { summary: 'Optimize this schedule', body: api.OptimizeRequestSchema, response: api.OptimizationResultSchema, params: ['id'], idempotent: true },
    },
    '/api/v1/scheduling/optimize': {
      post: { summary: 'Optimize a schedule', body: api.OptimizeRequestSchema, response: api.OptimizationResultSchema, idempotent: true },
    },
    '/api/v1/scheduling/optimizations/{id}': { get: { summary: 'Read an optimization', response: api.OptimizationResultSchema, params: ['id'] } },
    '/api/v1/scheduling/optimizations/{id}/apply': {
      post: { summary: 'Apply all or some proposed changes atomically', body: api.ApplyOptimizationSchema, response: api.OptimizationResultSchema, params: ['id'], idempotent: true },
    },
    '/api/v1/scheduling/recommendations': {
      get: {
        summary: 'Recommended posting windows',
        response: api.RecommendationListSchema,
        query: [
          { name: 'platforms', description: 'a,b or repeated or platforms[]=', required: true },
          { name: 'target_count', description: '1..100, default 10 (alias targetCount)' },
          { name: 'timezone', description: 'IANA zone, default UTC' },
          { name: 'start', description: 'horizon start (default now)' },
          { name: 'end', description: 'horizon end (default start + 7 days, at most 90 days)' },
          { name: 'duration_minutes', description: 'window length, 5..1440, default 60' },
        ],
      },
    },
    '/api/v1/scheduling/recommendations/heatmap': {
      get: {
        summary: 'The 7×24 score grid',
        response: api.HeatmapSchema,
        query: [
          { name: 'platform', description: 'one platform', required: true },
          { name: 'timezone', description: 'IANA zone, default UTC' },
        ],
      },
    },
    '/api/v1/scheduling/metrics': {
      post: { summary: 'Ingest engagement observations (one or an array)', body: api.MetricsIngestSchema, response: api.MetricsIngestResultSchema, idempotent: true },
    },
    '/api/v1/scheduling/batch': {
      post: { summary: 'Up to 100 operations; one failure does not stop the others', body: api.BatchRequestSchema, response: api.BatchResultSchema, idempotent: true },
    },
    '/api/v1/auth/keys': {
      get: { summary: "The account's API keys (never a secret; revoked ones included)", response: account.ApiKeyListSchema },
    },
    '/api/v1/auth/keys/{id}': {
      delete: { summary: 'Revoke a key and every access and refresh token minted from it', response: account.ApiKeyInfoSchema, params: ['id'] },
    },
    '/api/v1/account/webhook': {
      get: { summary: "The account's own webhook (without its secret); 404 when none", response: account.WebhookConfigSchema },
      put: {
        summary: "Set the account's webhook URL; the secret is in the answer only when made (new webhook, or rotate_secret)",
        body: account.WebhookConfigRequestSchema,
        response: account.WebhookConfigSchema,
        status: '201',
        alsoStatus: '200',
      },
      delete: { summary: "Remove the account's webhook (deliveries fall back to the server's publisher)", response: account.WebhookConfigSchema },
    },
    '/health': { get: { summary: 'Health', response: api.HealthSchema, public: true } },
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(ops)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(methods)) {
      const parameters: unknown[] = [];
      for (const name of op.params ?? []) parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
      for (const q of op.query ?? []) parameters.push({ name: q.name, in: 'query', required: q.required ?? false, description: q.description, schema: { type: 'string' } });
      if (op.idempotent) {
        parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: api.LIMITS.idempotencyKeyMaxLength } });
      }
      if (op.ifMatch) parameters.push({ name: 'If-Match', in: 'header', required: false, description: 'the version you read', schema: { type: 'string' } });
      (paths[path] as Record<string, unknown>)[method] = {
        summary: op.summary,
        ...(op.public ? { security: [] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body, 'input') } } } } : {}),
        responses: {
          [op.status ?? '200']: {
            description: 'success',
            ...(op.response ? { content: { 'application/json': { schema: schemaOf(op.response, 'output') } } } : {}),
          },
          ...(op.alsoStatus
            ? { [op.alsoStatus]: { description: 'success', ...(op.response ? { content: { 'application/json': { schema: schemaOf(op.response, 'output') } } } : {}) } }
            : {}),
          '400': errorResponse,
          '401': errorResponse,
          '404': errorResponse,
          '409': errorResponse,
          '422': errorResponse,
          '429': errorResponse,
        },
      };
    }
  }
  Object.assign(paths, webSocketPaths());
  return {
    openapi: '3.1.0',
    info: { title: 'Cadence Scheduling Optimization API', version: SERVER_VERSION },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key or access token' } },
      schemas: {
        Error: schemaOf(ApiErrorBodySchema, 'output'),
        ServerEvent: schemaOf(ServerEventSchema, 'output'),
        ServerControlMessage: schemaOf(ServerControlMessageSchema, 'output'),
        ServerWsMessage: schemaOf(ServerWsMessageSchema, 'output'),
        ClientWsMessage: schemaOf(ClientWsMessageSchema, 'input'),
      },
    },
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The WebSocket endpoints as GET operations answered with 101 Switching Protocols. */
function webSocketPaths(): Record<string, Record<string, unknown>> {
  const live = resolveLiveOptions();
  const closeCodes = Object.entries(WS_CLOSE)
    .map(([name, code]) => `${code} ${name}`)
    .join(', ');
  const common = [
    'Connect with `Upgrade: websocket`; messages are JSON text frames. Authenticate with',
    '`Authorization: Bearer <API key or access token>` on the upgrade request (a bad one is a',
    'plain 401 before the upgrade), or, from a browser, with a first message',
    '`{"type": "auth", "token": "..."}` within',
    `${live.authTimeoutMs / 1000} s. There is no token query parameter (it would end up in logs).`,
    'The server answers `authenticated`, then `subscribed` (with `head_seq`) after replaying every',
    'retained event after `since` (`resync_required` first when `since` is older than retention),',
    'then live events: `{"type", "seq", "schedule_id", "occurred_at", "data"}` with `type` one of',
    `${EVENT_TYPES.join(', ')}; \`seq\` is per account, gapless and increasing. The server pings`,
    `(every ${live.heartbeatMs / 1000} s by default) and re-checks the credential (a revoked key or an expired token ends`,
    `the connection with 4401). Client messages: auth, subscribe, ping (answered with pong); an`,
    `invalid one gets an \`error\` message. By default messages are at most ${live.maxMessageBytes} bytes and an`,
    `account has at most ${live.maxConnectionsPerAccount} connections. Close codes: ${closeCodes}.`,
    'Message schemas: `x-websocket-messages` and components ClientWsMessage, ServerWsMessage',
    '(= ServerEvent | ServerControlMessage).',
  ].join(' ');
  const messages = {
    'x-websocket-messages': {
      client: [ref('ClientWsMessage')],
      server: [ref('ServerEvent'), ref('ServerControlMessage')],
    },
  };
  const upgradeHeaders = [
    { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', const: 'websocket' } },
    { name: 'Connection', in: 'header', required: true, description: 'must include Upgrade', schema: { type: 'string' } },
    { name: 'Sec-WebSocket-Key', in: 'header', required: true, schema: { type: 'string' } },
    { name: 'Sec-WebSocket-Version', in: 'header', required: true, schema: { type: 'string', const: '13' } },
  ];
  const responses = (withNotFound: boolean) => ({
    '101': {
      description: 'Switching Protocols: the connection is now a WebSocket carrying the messages in x-websocket-messages',
      headers: {
        Upgrade: { schema: { type: 'string', const: 'websocket' } },
        Connection: { schema: { type: 'string', const: 'Upgrade' } },
        'Sec-WebSocket-Accept': { schema: { type: 'string' } },
      },
    },
    '401': errorResponse,
    ...(withNotFound ? { '404': { ...errorResponse, description: 'the schedule does not exist or belongs to another account (header auth)' } } : {}),
    '426': { ...errorResponse, description: 'a plain GET without Upgrade: websocket' },
    '429': errorResponse,
  });
  // Auth may come after the upgrade (first message), so the bearer header is optional here.
  const security = [{ bearer: [] }, {}];
  return {
    '/ws': {
      get: {
        summary: 'Live events of the account, multiplexed (WebSocket)',
        description: `${common} After authenticating, send \`{"type": "subscribe", "schedules": ["*"] | [ids], "since"?: seq}\`; a new subscribe replaces the previous one.`,
        security,
        parameters: upgradeHeaders,
        responses: responses(false),
        ...messages,
      },
    },
    '/ws/schedules/{id}': {
      get: {
        summary: "One schedule's live events (WebSocket; the integration guide's path)",
        description: `${common} The subscription is implicit (this schedule only; \`subscribe\` is refused); \`since\` in the query replays from there. Another account's schedule closes with 4404 when auth is by message.`,
        security,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'since',
            in: 'query',
            required: false,
            description: 'replay every retained event after this seq before following live (an invalid value closes with 1008)',
            schema: { type: 'integer', minimum: 0 },
          },
          ...upgradeHeaders,
        ],
        responses: responses(true),
        ...messages,
      },
    },
  };
}

export function openapiRoutes(app: FastifyInstance): void {
  let cached: string | null = null;
  app.get('/openapi.json', { config: { public: true } }, async (_request, reply) => {
    cached ??= JSON.stringify(buildOpenApi());
    return reply.header('content-type', 'application/json; charset=utf-8').send(cached);
  });
}
