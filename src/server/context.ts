/** What every route and background part of the server shares. */
import type { LocalEventBus } from './events/log';
import type { Storage } from './storage/database';

export interface ServerClock {
  now(): number;
}

export interface ServerContext {
  storage: Storage;
  clock: ServerClock;
  version: string;
  /** Committed events go here after their transaction; live connections listen. */
  events: LocalEventBus;
}
