import { afterEach, expect, it } from 'vitest';
import { forEachDialect, startTestServer, type TestServer } from './servers';

forEachDialect((dialect) => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('starts a real server with an account and cleans up', async () => {
    t = await startTestServer({ dialect });
    const res = await fetch(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(t.apiKey).toMatch(/^cad_/);
    expect(t.accountId).toMatch(/^acct_/);
    const other = await t.createAccount();
    expect(other.accountId).not.toBe(t.accountId);
  });
});
