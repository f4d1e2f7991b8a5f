import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createAccountWithKey } from './storage/accounts';
import { openStorage } from './storage/database';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cadence-cli-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
}

let signedKey = '';

it('create-key prints the key alone on stdout; --signing-secret puts the secret on stderr', () => {
  const signed = runCli(['create-key', '--data-dir', dataDir, '--signing-secret']);
  expect(signed.status).toBe(0);
  expect(signed.stdout).toMatch(/^cad_[\w-]+\n$/);
  expect(signed.stderr).toMatch(/signing secret: whsec_[\w-]+/);
  expect(signed.stdout).not.toContain('whsec_');
  signedKey = signed.stdout.trim();
});

it('serve answers with a key made by create-key and exits cleanly on SIGTERM', async () => {
  const storage = await openStorage({ dataDir });
  const key = (await createAccountWithKey(storage.db)).apiKey;
  await storage.close();
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--data-dir', dataDir, '--rate-limit', '50'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' },
  });
  try {
    const lines = createInterface({ input: child.stderr! });
    let url = '';
    for await (const line of lines) {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) {
        url = match[1];
        break;
      }
    }
    const response = await fetch(`${url}/api/v1/scheduling/platforms`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('50');
    // The key create-key made has a signing secret: unsigned use is refused.
    const unsigned = await fetch(`${url}/api/v1/scheduling/platforms`, { headers: { authorization: `Bearer ${signedKey}` } });
    expect(unsigned.status).toBe(401);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
