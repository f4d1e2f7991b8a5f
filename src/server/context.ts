/** What every route and background part of the server shares. */
import type { Storage } from './storage/database';

export interface ServerClock {
  now(): number;
}

export interface ServerContext {
  storage: Storage;
  clock: ServerClock;
  version: string;
}
