import { randomBytes } from 'node:crypto';

/**
 * Resource ids: prefix, creation time (base36 ms, fixed width) and randomness. Ids of one kind
 * sort by creation time, which is what cursor pagination walks.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}
