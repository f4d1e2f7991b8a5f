/** Wires the dispatcher into a server: starts it with the server, stops it (releasing leases) on close. */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ServerContext } from '../context';
import { Dispatcher } from './dispatcher';
import { resolveDispatcherOptions, type DispatcherOptions } from './options';

export type { DispatcherOptions, PublisherConfig } from './options';
export { Dispatcher } from './dispatcher';

const running = new WeakMap<ServerContext, Dispatcher>();

export function startDispatcher(
  app: FastifyInstance,
  ctx: ServerContext,
  options: DispatcherOptions = {},
  registry?: Registry,
): Dispatcher | null {
  const resolved = resolveDispatcherOptions(options);
  if (!resolved.enabled) return null;
  const dispatcher = new Dispatcher(ctx, resolved, app.log, registry);
  running.set(ctx, dispatcher);
  app.addHook('onClose', async () => {
    await dispatcher.stop();
  });
  dispatcher.start();
  return dispatcher;
}

/** The dispatcher of a server (tests, metrics); null when disabled. */
export function dispatcherOf(ctx: ServerContext): Dispatcher | null {
  return running.get(ctx) ?? null;
}
