import { randomBytes } from 'node:crypto';

// Entropy is drawn in blocks: one getrandom call per 512 ids instead of one per id.
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/**
 * Resource ids: prefix, creation time (base36 ms, fixed width) and randomness. Ids of one kind
 * sort by creation time, which is what cursor pagination walks.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, '0')}${randomHex(8)}`;
}
