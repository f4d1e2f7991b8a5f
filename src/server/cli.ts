/**
 * `npm run server -- --port N --data-dir DIR`            serve the API (SQLite under DIR, or DATABASE_URL)
 * `npm run server -- create-key --data-dir DIR [--signing-secret] [--name NAME | --account ID]`
 *                                                       print a new API key alone on stdout (a new account,
 *                                                       or another key of account ID; --signing-secret: the
 *                                                       HMAC secret on stderr)
 * `npm run server -- list-keys --data-dir DIR [--account ID]`
 *                                                       one line per key: id, account, prefix, created, last used, revoked
 * `npm run server -- revoke-key --data-dir DIR KEY_ID_OR_PREFIX`
 *                                                       revoke a key and every token minted from it
 * `--rate-limit N`                                       requests per minute per account / IP (default 600, 0 = off)
 * `--cors-origin URL` (repeatable, or '*')               browser origins allowed to call the API
 * Dispatch (docs/live-and-dispatch.md): an account's own webhook (PUT /api/v1/account/webhook) when it
 * set one; otherwise reminders, or, with CADENCE_WEBHOOK_URL + CADENCE_WEBHOOK_SECRET, the server-wide
 * signed webhook; CADENCE_CALLBACK_SECRET signs callbacks; --allow-loopback-callbacks lets webhooks and
 * callbacks reach 127.0.0.1/::1 (and accounts register http://127.0.0.1 webhooks).
 */
import { parseArgs } from 'node:util';
import { createServer } from './app';
import { openStorage } from './storage/database';
import { createAccountWithKey, createKeyForAccount } from './storage/accounts';
import { findKeyByIdOrPrefix, revokeKey } from './storage/keys';

function fail(message: string): never {
  process.stderr.write(`cadence-server: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'signing-secret': { type: 'boolean', default: false },
      name: { type: 'string' },
      account: { type: 'string' },
      'allow-loopback-callbacks': { type: 'boolean', default: false },
      'rate-limit': { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'serve';
  const databaseUrl = process.env.DATABASE_URL;
  const dataDir = values['data-dir'];
  if (values.help) {
    process.stdout.write(
      'usage: npm run server -- [serve] --port N --data-dir DIR [--rate-limit N]\n' +
        '       npm run server -- create-key --data-dir DIR [--signing-secret] [--name NAME | --account ACCOUNT_ID]\n' +
        '       npm run server -- list-keys --data-dir DIR [--account ACCOUNT_ID]\n' +
        '       npm run server -- revoke-key --data-dir DIR KEY_ID_OR_PREFIX\n',
    );
    return;
  }
  if (!dataDir && !databaseUrl) fail('give --data-dir DIR (SQLite) or set DATABASE_URL=postgres://…');

  if (command === 'create-key') {
    if (values.account && values.name) fail('--name names a new account; --account adds a key to an existing one');
    const storage = await openStorage({ dataDir, databaseUrl });
    try {
      const created = values.account
        ? await createKeyForAccount(storage.db, values.account, { withSigningSecret: values['signing-secret'] })
        : await createAccountWithKey(storage.db, {
            withSigningSecret: values['signing-secret'],
            ...(values.name ? { name: values.name } : {}),
          });
      if (!created) fail(`no account ${values.account}`);
      process.stdout.write(`${created.apiKey}\n`);
      process.stderr.write(`key ${created.keyId} of account ${created.accountId}\n`);
      if (created.signingSecret) process.stderr.write(`signing secret: ${created.signingSecret}\n`);
    } finally {
      await storage.close();
    }
    return;
  }
  if (command === 'list-keys') {
    const storage = await openStorage({ dataDir, databaseUrl });
    try {
      let query = storage.db
        .selectFrom('api_keys')
        .select(['id', 'account_id', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
        .orderBy('account_id')
        .orderBy('created_at');
      if (values.account) query = query.where('account_id', '=', values.account);
      process.stdout.write('id\taccount\tprefix\tcreated_at\tlast_used_at\trevoked_at\n');
      for (const row of await query.execute()) {
        const cells = [row.id, row.account_id, row.prefix, row.created_at, row.last_used_at, row.revoked_at].map((v) => v ?? '-');
        process.stdout.write(`${cells.join('\t')}\n`);
      }
    } finally {
      await storage.close();
    }
    return;
  }
  if (command === 'revoke-key') {
    const ref = positionals[1];
    if (!ref) fail('revoke-key needs a key id (key_…) or the start of the key (cad_…)');
    const storage = await openStorage({ dataDir, databaseUrl });
    try {
      const found = await findKeyByIdOrPrefix(storage.db, ref);
      if (!found.ok) {
        fail(found.reason === 'ambiguous' ? `${ref} matches ${found.matches} keys; give the key id (see list-keys)` : `no key ${ref} (see list-keys)`);
      }
      const revoked = await revokeKey(storage.db, found.key.account_id, found.key.id, Date.now());
      if (!revoked) fail(`no key ${ref}`);
      const already = found.key.revoked_at ? ` (already revoked at ${found.key.revoked_at})` : '';
      process.stdout.write(`${revoked.id}\n`);
      process.stderr.write(`revoked key ${revoked.id} of account ${revoked.account_id}${already}; its tokens no longer work (at once on PostgreSQL; a running server on SQLite may accept them for up to 5 s)\n`);
    } finally {
      await storage.close();
    }
    return;
  }
  if (command !== 'serve') fail(`unknown command ${command} (expected serve, create-key, list-keys or revoke-key)`);

  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got ${values.port}`);
  // Webhook publishing is configured by environment so the secret stays off the command line.
  const webhookUrl = process.env.CADENCE_WEBHOOK_URL;
  const webhookSecret = process.env.CADENCE_WEBHOOK_SECRET;
  const rateLimit = Number(values['rate-limit'] ?? process.env.CADENCE_RATE_LIMIT ?? 600);
  if (!Number.isInteger(rateLimit) || rateLimit < 0) fail(`--rate-limit must be a whole number of requests per minute, got ${values['rate-limit']}`);
  if (webhookUrl && !webhookSecret) fail('CADENCE_WEBHOOK_URL needs CADENCE_WEBHOOK_SECRET (whsec_… or any string) to sign with');
  const server = await createServer({
    dataDir,
    databaseUrl,
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
    rateLimit: rateLimit === 0 ? false : { limit: rateLimit, windowMs: 60_000 },
    ...(values['cors-origin']?.length ? { corsOrigins: values['cors-origin'].includes('*') ? ('*' as const) : values['cors-origin'] } : {}),
    dispatcher: {
      allowLoopback: values['allow-loopback-callbacks'],
      ...(webhookUrl && webhookSecret ? { publisher: { kind: 'webhook', url: webhookUrl, secret: webhookSecret } } : {}),
      ...(process.env.CADENCE_CALLBACK_SECRET ? { callbackSecret: process.env.CADENCE_CALLBACK_SECRET } : {}),
    },
  });
  const url = await server.listen(port, values.host);
  process.stderr.write(`Cadence Scheduling API listening on ${url} (${server.context.storage.dialect})\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    // A second signal, or in-flight work that outlasts the grace period, ends the process.
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`received ${signal}, finishing in-flight requests\n`);
    setTimeout(() => {
      process.stderr.write('shutdown grace period (15 s) over, exiting\n');
      process.exit(1);
    }, 15_000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
