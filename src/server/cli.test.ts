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
import { findPrincipal, grantFromApiKey } from './storage/tokens';

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

it('create-key --account adds a key; list-keys shows keys without secrets; revoke-key by prefix ends the key and its tokens', async () => {
  const first = runCli(['create-key', '--data-dir', dataDir, '--name', 'Team']);
  expect(first.status).toBe(0);
  const firstKey = first.stdout.trim();
  const [, firstId, accountId] = /key (key_\w+) of account (acct_\w+)/.exec(first.stderr) ?? [];
  expect(accountId).toBeTruthy();
  const second = runCli(['create-key', '--data-dir', dataDir, '--account', accountId!]);
  expect(second.status).toBe(0);
  const secondKey = second.stdout.trim();
  expect(second.stderr).toContain(`of account ${accountId}`);
  expect(runCli(['create-key', '--data-dir', dataDir, '--account', 'acct_nobody']).status).toBe(2);

  const list = runCli(['list-keys', '--data-dir', dataDir, '--account', accountId!]);
  expect(list.status).toBe(0);
  const rows = list.stdout.trim().split('\n').slice(1).map((line) => line.split('\t'));
  expect(rows.map((r) => [r[1], r[2], r[5]])).toEqual([
    [accountId, firstKey.slice(0, 12), '-'],
    [accountId, secondKey.slice(0, 12), '-'],
  ]);
  expect(list.stdout).not.toContain(firstKey);
  expect(list.stdout).not.toContain(secondKey);

  const storage = await openStorage({ dataDir });
  try {
    const ttls = { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600 };
    const tokens = await grantFromApiKey(storage.db, secondKey, ttls, Date.now());
    expect(await findPrincipal(storage.db, tokens!.access_token, Date.now())).not.toBeNull();

    expect(runCli(['revoke-key', '--data-dir', dataDir, 'cad_']).status).toBe(2);
    expect(runCli(['revoke-key', '--data-dir', dataDir, 'key_nothing']).status).toBe(2);
    const revoked = runCli(['revoke-key', '--data-dir', dataDir, secondKey.slice(0, 12)]);
    expect(revoked.status).toBe(0);
    expect(revoked.stderr).toContain(`of account ${accountId}`);

    expect(await findPrincipal(storage.db, secondKey, Date.now())).toBeNull();
    expect(await findPrincipal(storage.db, tokens!.access_token, Date.now())).toBeNull();
    expect(await grantFromApiKey(storage.db, secondKey, ttls, Date.now())).toBeNull();
    // The account's other key still works; revoking by id works too and is repeatable.
    expect((await findPrincipal(storage.db, firstKey, Date.now()))?.keyId).toBe(firstId);
    expect(runCli(['revoke-key', '--data-dir', dataDir, firstId!]).status).toBe(0);
    const again = runCli(['revoke-key', '--data-dir', dataDir, firstId!]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('already revoked');
    expect(await findPrincipal(storage.db, firstKey, Date.now())).toBeNull();
  } finally {
    await storage.close();
  }
  const after = runCli(['list-keys', '--data-dir', dataDir, '--account', accountId!]);
  expect(after.stdout.trim().split('\n').slice(1).every((line) => line.split('\t')[5] !== '-')).toBe(true);
  // Eleven CLI processes, each compiling the CLI with tsx on a shared 2-core machine.
}, 180_000);
