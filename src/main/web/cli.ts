/**
 * `npm run web -- --port N --data-dir DIR [--api-url URL --api-key KEY [--signing-secret S]]`
 * Runs the main-process services in Node and serves the renderer to a browser.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { BridgeEventHub } from '../bridge/event-hub';
import { createCore, type ConnectionConfig } from '../core';
import { SERVER_VERSION } from '../../server/version';
import { defaultDataDir } from './paths';
import { startWebHost } from './web-host';
import { webHostPorts } from './web-ports';

function fail(message: string): never {
  process.stderr.write(`cadence web: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'api-url': { type: 'string' },
      'api-key': { type: 'string' },
      'signing-secret': { type: 'string' },
      'engine-port': { type: 'string' },
      'renderer-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got ${values.port}`);
  if (values.host !== '127.0.0.1' && values.host !== 'localhost' && values.host !== '::1') {
    fail('the web host serves loopback only (--host 127.0.0.1, localhost or ::1)');
  }
  if (Boolean(values['api-url']) !== Boolean(values['api-key'])) fail('remote mode needs both --api-url and --api-key');
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  let connection: ConnectionConfig;
  if (values['api-url'] && values['api-key']) {
    try {
      new URL(values['api-url']);
    } catch {
      fail(`--api-url is not a URL: ${values['api-url']}`);
    }
    connection = {
      mode: 'remote',
      apiUrl: values['api-url'],
      apiKey: values['api-key'],
      ...(values['signing-secret'] ? { signingSecret: values['signing-secret'] } : {}),
    };
  } else {
    connection = { mode: 'embedded', enginePort: Number(values['engine-port'] ?? 0) };
  }
  const rendererDir = resolve(values['renderer-dir'] ?? fileURLToPath(new URL('../../../out/renderer', import.meta.url)));

  let events: BridgeEventHub | null = null;
  const core = createCore({
    host: 'web',
    version: SERVER_VERSION,
    dataDir,
    ports: webHostPorts(dataDir, () => events),
    connection,
    openExternal: async () => false,
  });
  events = core.events;
  await core.start();
  const host = await startWebHost({ core, rendererDir, port, host: values.host });
  process.stdout.write(`Cadence is running at ${host.launchUrl}\n`);
  process.stdout.write(`data: ${dataDir}  engine: ${connection.mode}\n`);

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    Promise.all([host.close(), core.stop()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
