import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createAccountWithKey } from '../storage/accounts';
import { openStorage } from '../storage/database';

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
