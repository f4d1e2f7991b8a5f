/**
 * A second dispatcher process for the crash test: it claims due items and delivers them to a
 * receiver that never answers, so it holds their leases until the test kills it with SIGKILL.
 * Usage: node --import tsx lease-holder.fixture.ts '<json: {dataDir?, databaseUrl?, pgSchema?, url, leaseMs}>'
 */
import { LocalEventBus } from '../events/log';
import { openStorage } from '../storage/database';
import { Dispatcher } from './dispatcher';
import { resolveDispatcherOptions } from './options';

interface Args {
  dataDir?: string;
  databaseUrl?: string;
  pgSchema?: string;
  url: string;
  leaseMs: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const storage = await openStorage(args);
  const ctx = { storage, clock: { now: () => Date.now() }, version: 'fixture', events: new LocalEventBus() };
  const dispatcher = new Dispatcher(
    ctx,
    resolveDispatcherOptions({
      publisher: { kind: 'webhook', url: args.url, secret: 'whsec_dGVzdC1zZWNyZXQ=' },
      allowLoopback: true,
      leaseMs: args.leaseMs,
      pollMs: 50,
      dueSoonMs: 0,
      requestTimeoutMs: 60_000,
      owner: `fixture-${process.pid}`,
    }),
    { warn: () => undefined, error: (o, m) => process.stderr.write(`${m} ${String((o as { err?: unknown }).err)}\n`) },
  );
  dispatcher.start();
  process.stdout.write(`ready ${dispatcher.owner}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
