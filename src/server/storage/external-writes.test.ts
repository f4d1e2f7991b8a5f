import { afterEach, expect, it } from 'vitest';
import { connect, wsUrl, type RecordingClient } from '../events/testing';
import { startTestServer, type TestServer } from '../testing/servers';
import { openStorage } from './database';
import { revokeKey } from './keys';

let t: TestServer | undefined;
const clients: RecordingClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await t?.close();
  t = undefined;
});

/** Well inside the credential cache's 5 s lifetime: only the external-write watch gets there. */
const SEEN_WITHIN_MS = 2500;

it('a key revoked by another process on the SQLite file (the CLI) stops working within a second, open WebSockets included', async () => {
  t = await startTestServer({ dialect: 'sqlite', rateLimit: false });
  const other = await t.createAccount();
  const platforms = async (key: string) =>
    (await fetch(`${t!.url}/api/v1/scheduling/platforms`, { headers: { authorization: `Bearer ${key}` } })).status;
  // Both keys are now cached as valid.
  expect([await platforms(t.apiKey), await platforms(other.apiKey)]).toEqual([200, 200]);
  const live = await connect(wsUrl(t.url, '/ws'), { headers: { authorization: `Bearer ${other.apiKey}` } });
  clients.push(live);

  // As `npm run server -- revoke-key` does: its own connection to the same file.
  const cli = await openStorage({ dataDir: t.dataDir! });
  const revokedAt = Date.now();
  try {
    expect(await revokeKey(cli.db, other.accountId, other.keyId, revokedAt)).not.toBeNull();
  } finally {
    await cli.close();
  }
  let status = 200;
  while (status === 200 && Date.now() - revokedAt < SEEN_WITHIN_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await platforms(other.apiKey);
  }
  expect(status).toBe(401);
  expect((await live.closed).code).toBe(4401);
  expect(Date.now() - revokedAt).toBeLessThan(SEEN_WITHIN_MS + 1000);
  // The other account's key is untouched.
  expect(await platforms(t.apiKey)).toBe(200);
});
