import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../shared/api/events';
import { connect, wsUrl } from '../events/testing';
import { call, sampleSchedule } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

type Json = Record<string, unknown>;

/** Follows a local `#/components/...` reference. */
function deref(doc: Json, value: Json): Json {
  const target = value.$ref;
  if (typeof target !== 'string') return value;
  const found = target
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], doc);
  if (!found) throw new Error(`unresolved $ref ${target}`);
  return found as Json;
}

/**
 * Just enough JSON Schema (the keywords zod's generator emits for these messages) to check real
 * messages against the published document; returns the problems found.
 */
function check(doc: Json, schemaIn: Json, value: unknown, path = '$'): string[] {
  const schema = deref(doc, schemaIn);
  const alternatives = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
  if (alternatives) {
    const results = alternatives.map((alt) => check(doc, alt, value, path));
    const passing = results.filter((r) => r.length === 0).length;
    if (schema.oneOf ? passing === 1 : passing >= 1) return [];
    return [`${path}: matches ${passing} of ${alternatives.length} alternatives (${results.flat().slice(0, 3).join('; ')})`];
  }
  const problems: string[] = [];
  if ('const' in schema && value !== schema.const) problems.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${path}: not in enum`);
  const types = schema.type === undefined ? null : ([] as unknown[]).concat(schema.type);
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types && !types.some((type) => type === actual || (type === 'number' && actual === 'integer'))) return [`${path}: expected ${types.join('|')}, got ${actual}`];
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below minimum`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) problems.push(`${path}: not above exclusiveMinimum`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => problems.push(...check(doc, schema.items as Json, v, `${path}[${i}]`)));
  if (actual === 'object') {
    const object = value as Json;
    const properties = (schema.properties ?? {}) as Record<string, Json>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) problems.push(`${path}.${name}: missing`);
    for (const [name, v] of Object.entries(object)) {
      if (properties[name]) problems.push(...check(doc, properties[name], v, `${path}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${name}: not allowed`);
    }
  }
  return problems;
}

function allRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => allRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else allRefs(value, out);
    }
  }
  return out;
}

forEachDialect((dialect) => {
  let t: TestServer;
  let doc: Json;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
    const spec = await call<Json>(t, 'GET', '/openapi.json', { token: null });
    expect(spec.status).toBe(200);
    doc = spec.json;
  });
  afterAll(() => t.close());

  it('describes /ws and /ws/schedules/{id} as GET upgrades (101) with their parameters, auth and message schemas', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    for (const path of ['/ws', '/ws/schedules/{id}']) {
      const get = paths[path]?.get;
      expect(get, path).toBeDefined();
      const responses = get!.responses as Record<string, Json>;
      expect(Object.keys(responses)).toContain('101');
      expect(Object.keys(responses)).toContain('401');
      expect(Object.keys(responses)).toContain('426');
      // Header auth or a first message: the bearer scheme is one of two alternatives.
      expect(get!.security).toEqual([{ bearer: [] }, {}]);
      const params = get!.parameters as Array<{ name: string; in: string; required: boolean; schema: Json }>;
      expect(params.find((p) => p.name === 'Upgrade')).toMatchObject({ in: 'header', required: true, schema: { const: 'websocket' } });
      expect(params.some((p) => p.in === 'query' && p.name === 'token')).toBe(false);
      const messages = get!['x-websocket-messages'] as { client: Json[]; server: Json[] };
      expect(messages.client).toEqual([{ $ref: '#/components/schemas/ClientWsMessage' }]);
      expect(messages.server).toEqual([{ $ref: '#/components/schemas/ServerEvent' }, { $ref: '#/components/schemas/ServerControlMessage' }]);
      const description = String(get!.description);
      for (const type of EVENT_TYPES) expect(description).toContain(type);
      expect(description).toContain('"type": "auth"');
      expect(description).toContain('4401');
    }
    const scheduleParams = paths['/ws/schedules/{id}']!.get!.parameters as Array<{ name: string; in: string; schema: Json }>;
    expect(scheduleParams.find((p) => p.name === 'since')).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 0 } });
    expect(scheduleParams.find((p) => p.name === 'id')).toMatchObject({ in: 'path' });
    expect(Object.keys(paths['/ws/schedules/{id}']!.get!.responses as Json)).toContain('404');

    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const eventType = (schemas.ServerEvent!.properties as Record<string, Json>).type!;
    expect(eventType.enum).toEqual([...EVENT_TYPES]);
    const clientTypes = (schemas.ClientWsMessage!.oneOf as Json[]).map((alt) => ((alt.properties as Record<string, Json>).type as Json).const);
    expect(clientTypes.sort()).toEqual(['auth', 'ping', 'subscribe']);
    // Every reference in the document resolves.
    for (const target of allRefs(doc)) expect(() => deref(doc, { $ref: target }), target).not.toThrow();
  });

  it('describes the key management and account webhook endpoints', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    expect(Object.keys(paths['/api/v1/auth/keys']!)).toEqual(['get']);
    expect(Object.keys(paths['/api/v1/auth/keys/{id}']!)).toEqual(['delete']);
    expect(Object.keys(paths['/api/v1/account/webhook']!).sort()).toEqual(['delete', 'get', 'put']);
    const put = paths['/api/v1/account/webhook']!.put!;
    expect(Object.keys(put.responses as Json)).toEqual(expect.arrayContaining(['200', '201', '400']));
    expect(JSON.stringify(put.requestBody)).toContain('rotate_secret');
    expect(JSON.stringify(paths['/api/v1/auth/keys']!.get!.responses)).toContain('last_used_at');
  });

  it('every message a real /ws session exchanges matches the published schemas', async () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const ws = await connect(wsUrl(t.url, '/ws'));
    const sent: unknown[] = [{ type: 'auth', token: t.apiKey }, { type: 'subscribe', schedules: ['*'], since: 0 }, { type: 'ping' }];
    for (const message of sent) expect(check(doc, schemas.ClientWsMessage!, message)).toEqual([]);
    // The schema is not vacuous: a malformed message fails it.
    expect(check(doc, schemas.ClientWsMessage!, { type: 'subscribe', schedules: 'all' })).not.toEqual([]);
    ws.send(sent[0]);
    await ws.waitFor((m) => m.type === 'authenticated');
    ws.send(sent[1]);
    await ws.waitFor((m) => m.type === 'subscribed');
    const created = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule() });
    expect(created.status).toBe(201);
    ws.send(sent[2]);
    ws.send({ type: 'launch' });
    await ws.waitFor((m) => m.type === 'error');
    await ws.waitForEvents(1);
    await ws.close();
    const kinds = new Set(ws.messages.map((m) => m.type));
    expect([...kinds]).toEqual(expect.arrayContaining(['authenticated', 'subscribed', 'schedule.created', 'pong', 'error']));
    for (const message of ws.messages) {
      expect({ message, problems: check(doc, schemas.ServerWsMessage!, message) }).toEqual({ message, problems: [] });
      const side = 'seq' in message ? schemas.ServerEvent! : schemas.ServerControlMessage!;
      expect(check(doc, side, message)).toEqual([]);
    }
  });
});
