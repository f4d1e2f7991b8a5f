/**
 * Where the server's log lines go: gathered in memory and handed to pino's asynchronous
 * destination (sonic-boom) in batches of 64 KiB, or 200 ms after the first line of a
 * batch, whichever comes first. Why batches: each write costs a system call and a thread-pool
 * hand-off almost whatever its size, and sonic-boom re-measures its growing buffer on every line
 * appended to it. Why asynchronous: a synchronous write to a slow disk stalls every request
 * behind it, on the event loop.
 * Still bounded: sonic-boom drops what exceeds maxBytes while the destination is behind.
 * Closing waits for the writes under way and then for the rest, so every line is out, in order,
 * when close() resolves (a synchronous flush used to overtake a write still in flight: lines out
 * of order, log-destination.test.ts). A process that exits without closing gets a synchronous
 * flush of what is still gathered; a write in flight at that moment may land after it.
 */
import { appendFileSync, writeSync } from 'node:fs';
import pino from 'pino';

const BATCH_BYTES = 64 * 1024;
const BATCH_DELAY_MS = 200;
const CLOSE_WAIT_MS = 10_000;

export interface LogDestination {
  write(line: string): void;
  /** Writes everything, in order, and stops listening for process exit; resolves once it is out. */
  close(): Promise<void>;
}

export function bufferedLogDestination(dest: number | string, maxBytes: number): LogDestination {
  // Lines are encoded into the batch as they come (one pass over each line), and sonic-boom gets
  // the bytes: a string batch was measured here, by hrtime around each request, at about 1.5 µs
  // per line (joining, measuring and encoding it again, twice, inside sonic-boom).
  let batch = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | null = null;
  const handOver = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (used === 0) return;
    // sonic-boom keeps the buffer it is given until written: the next batch gets a new one.
    writeBytes(batch.subarray(0, used));
    batch = Buffer.allocUnsafe(BATCH_BYTES);
    used = 0;
  };
  // Registered before pino.destination registers its own exit flush, so it runs first: the lines
  // still gathered here reach sonic-boom before sonic-boom writes out what it holds.
  const onExit = (): void => handOver();
  let closed = false;
  process.on('exit', onExit);
  // minLength 0: batches are already large; sonic-boom writes each as soon as the last is done.
  const sonic = pino.destination({ dest, sync: false, minLength: 0, maxLength: maxBytes, contentMode: 'buffer' });
  // In buffer mode sonic-boom takes bytes; its type declares strings only.
  const writeBytes = (bytes: Buffer): void => {
    (sonic as unknown as { write(data: Buffer): boolean }).write(bytes);
  };
  return {
    write(line) {
      if (closed) {
        // A straggler after close (a timer that fired late): written at once, not dropped.
        writeNow(dest, line);
        return;
      }
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      if (used + line.length * 3 > BATCH_BYTES) {
        handOver();
        if (line.length * 3 > BATCH_BYTES) {
          writeBytes(Buffer.from(line, 'utf8'));
          return;
        }
      }
      used += batch.write(line, used, 'utf8');
      if (timer === null) {
        timer = setTimeout(handOver, BATCH_DELAY_MS);
        // A quiet server still exits: the exit hook writes what is left.
        timer.unref();
      }
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      handOver();
      process.removeListener('exit', onExit);
      // Destroyed, or silenced by pino after EPIPE (its end() is then a no-op): nothing to wait for.
      const prototype = Object.getPrototypeOf(sonic) as { end: unknown };
      if ((sonic as unknown as { destroyed?: boolean }).destroyed === true || sonic.end !== prototype.end) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // A destination that never drains must not hold the server's close forever.
        const giveUp = setTimeout(resolve, CLOSE_WAIT_MS);
        giveUp.unref();
        const done = (): void => {
          clearTimeout(giveUp);
          resolve();
        };
        // end() writes what is buffered after the write under way, then closes (never stdout).
        sonic.once('close', done);
        sonic.once('error', done);
        sonic.end();
      });
    },
  };
}

function writeNow(dest: number | string, line: string): void {
  try {
    if (typeof dest === 'number') writeSync(dest, line);
    else appendFileSync(dest, line);
  } catch {
    // The destination is gone; there is nowhere left to write.
  }
}
