import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { createAccountWithKey } from '../storage/accounts';
import { openStorage } from '../storage/database';
import { responseTimeJson } from './request-log';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cadence-log-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  account_id?: string;
  req?: { method: string; url: string; remoteAddress: string };
  res?: { statusCode: number };
  responseTime?: number;
}

it('`npm run server` logs one line per request (request id, account, status, time), all of them written by shutdown', async () => {
  const storage = await openStorage({ dataDir });
  const { apiKey, accountId } = await createAccountWithKey(storage.db);
  await storage.close();
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'info' },
  });
  try {
    const stdout: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
    let url = '';
    for await (const line of createInterface({ input: child.stderr! })) {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) {
        url = match[1];
        break;
      }
    }
    const requests = 6;
    const ids: string[] = [];
    for (let i = 0; i < requests; i++) {
      const authed = i % 2 === 0;
      const response = await fetch(`${url}${authed ? '/api/v1/scheduling/platforms' : '/health'}`, {
        headers: authed ? { authorization: `Bearer ${apiKey}` } : {},
      });
      expect(response.status).toBe(200);
      ids.push(response.headers.get('x-request-id')!);
    }
    const missing = await fetch(`${url}/api/v1/scheduling/platforms`);
    expect(missing.status).toBe(401);
    ids.push(missing.headers.get('x-request-id')!);
    // Seven lines stay below the asynchronous buffer's 4 KiB write size: shutdown must write them.
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    const lines = stdout.map((line) => JSON.parse(line) as LogLine).filter((l) => l.reqId !== undefined);
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => l.reqId)).toEqual(ids);
    completed.forEach((line, i) => {
      expect(typeof line.responseTime).toBe('number');
      // The request as the line describes it, and nothing more (no host, port or Accept-Version).
      expect(Object.keys(line.req ?? {}).sort()).toEqual(['method', 'remoteAddress', 'url']);
      expect(line.req?.remoteAddress).toBe('127.0.0.1');
      if (i === requests) {
        expect(line.res?.statusCode).toBe(401);
        expect(line.account_id).toBeUndefined();
      } else if (i % 2 === 0) {
        expect(line).toMatchObject({ account_id: accountId, req: { method: 'GET', url: '/api/v1/scheduling/platforms' }, res: { statusCode: 200 } });
      } else {
        expect(line.account_id).toBeUndefined();
        expect(line).toMatchObject({ req: { method: 'GET', url: '/health' }, res: { statusCode: 200 } });
      }
    });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

it('the completion line is valid JSON whatever the URL holds, and is not written below its level', async () => {
  const { request } = await import('node:http');
  const { readFileSync } = await import('node:fs');
  const { createServer } = await import('../app');
  const get = (base: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(base);
      request({ host: url.hostname, port: url.port, path }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
        .on('error', reject)
        .end();
    });
  const path = '/health?q="quoted"\\back\\slash&x=%22';
  const lines: Record<string, LogLine[]> = {};
  for (const level of ['info', 'warn']) {
    const dir = mkdtempSync(join(dataDir, `level-${level}-`));
    const file = join(dir, 'server.log');
    const server = await createServer({ dataDir: dir, logger: { level }, logDestination: file });
    const base = await server.listen(0);
    expect(await get(base, path)).toBe(200);
    await server.close();
    lines[level] = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
  }
  const completed = lines.info!.filter((line) => line.msg === 'request completed');
  expect(completed).toHaveLength(1);
  expect(completed[0]).toMatchObject({ level: 30, req: { method: 'GET', url: path, remoteAddress: '127.0.0.1' }, res: { statusCode: 200 } });
  expect(typeof completed[0]!.reqId).toBe('string');
  expect(lines.warn!.filter((line) => line.msg === 'request completed')).toEqual([]);
});

it('a server without a logger gives its requests no logger of ours', async () => {
  const { createServer } = await import('../app');
  const { RequestLogger } = await import('./request-log');
  const dir = mkdtempSync(join(dataDir, 'silent-'));
  const server = await createServer({ dataDir: dir, logger: false });
  const seen: boolean[] = [];
  server.app.addHook('onResponse', (request, _reply, done) => {
    seen.push(request.log instanceof RequestLogger);
    done();
  });
  const base = await server.listen(0);
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect((await fetch(`${base}/no-such-route`)).status).toBe(404);
  await server.close();
  expect(seen).toEqual([false, false]);
});

it('a logged server gives every request, matched or not, a logger bound to its id', async () => {
  const { readFileSync } = await import('node:fs');
  const { createServer } = await import('../app');
  const { RequestLogger } = await import('./request-log');
  const dir = mkdtempSync(join(dataDir, 'bound-'));
  const file = join(dir, 'server.log');
  const server = await createServer({ dataDir: dir, logger: { level: 'info' }, logDestination: file });
  const seen: boolean[] = [];
  server.app.addHook('onResponse', (request, _reply, done) => {
    seen.push(request.log instanceof RequestLogger && request.log.requestId === request.id);
    done();
  });
  server.app.get('/says-something', { config: { public: true } }, async (request) => {
    request.log.warn({ detail: 42 }, 'handler spoke');
    return { ok: true };
  });
  const base = await server.listen(0);
  const spoke = await fetch(`${base}/says-something`, { headers: { 'x-request-id': 'spoken-1' } });
  expect(spoke.status).toBe(200);
  expect((await fetch(`${base}/no-such-route`)).status).toBe(404);
  await server.close();
  expect(seen).toEqual([true, true]);
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LogLine & { detail?: number });
  expect(lines.find((line) => line.msg === 'handler spoke')).toMatchObject({ level: 40, reqId: 'spoken-1', detail: 42 });
  expect(lines.filter((line) => line.msg === 'request completed').map((line) => line.res?.statusCode)).toEqual([200, 404]);
});

it('the completion line written without a child logger is byte for byte what pino writes through one', async () => {
  const { readFileSync } = await import('node:fs');
  const { createServer } = await import('../app');
  const dir = mkdtempSync(join(dataDir, 'equal-'));
  const file = join(dir, 'server.log');
  const server = await createServer({ dataDir: dir, logger: { level: 'info' }, logDestination: file });
  const { apiKey, accountId } = await createAccountWithKey(server.context.storage.db);
  // A debug call (below the level, so not written) makes the request's pino child exist, and
  // with it pino's own path for the completion line.
  server.app.get('/probe/*', { config: { public: true } }, async (request) => {
    if (request.headers['x-materialize'] === '1') request.log.debug('materialized');
    return { ok: true };
  });
  const base = await server.listen(0);
  const paths = ['/probe/plain', '/probe/q?x="quoted"\\&y=%E2%9C%93&z=\u00e9', '/health'];
  for (const path of paths) {
    for (const authed of [false, true]) {
      for (const materialize of ['0', '1']) {
        const headers: Record<string, string> = { 'x-request-id': `same-${paths.indexOf(path)}-${authed}`, 'x-materialize': materialize };
        if (authed) headers.authorization = `Bearer ${apiKey}`;
        await (await fetch(`${base}${path}`, { headers })).arrayBuffer();
      }
    }
  }
  await server.close();
  const normalize = (line: string) => line.replace(/"time":\d+/, '"time":0').replace(/"responseTime":[\d.e-]+/, '"responseTime":0');
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"request completed"'));
  expect(lines).toHaveLength(paths.length * 4);
  for (let i = 0; i < lines.length; i += 2) {
    // Fast path, then pino's path, for the same request: identical but for the clock.
    expect(normalize(lines[i]!)).toBe(normalize(lines[i + 1]!));
  }
  const authedLine = JSON.parse(lines[2]!) as LogLine;
  expect(authedLine.account_id).toBe(accountId);
  expect(JSON.parse(lines[1]!) as LogLine).toMatchObject({ req: { url: '/probe/plain' } });
});

it('writes the response time with the digits pino writes for the time rounded to the microsecond', () => {
  const asPino = (elapsedMs: number) => JSON.stringify(Math.round(elapsedMs * 1000) / 1000);
  for (const elapsedMs of [0, 0.0004, 0.0005, 0.001, 0.019, 0.0187579999, 0.5, 1, 1.5, 2.0004, 999.9995, 123456.789, 86_400_000.25]) {
    expect(responseTimeJson(elapsedMs)).toBe(asPino(elapsedMs));
  }
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (elapsedMs) => responseTimeJson(elapsedMs) === asPino(elapsedMs)),
    { numRuns: 20_000 },
  );
  expect(responseTimeJson(Number.NaN)).toBe('null');
});
