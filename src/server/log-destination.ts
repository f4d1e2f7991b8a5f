/**
 * Where the server's log lines go: gathered in memory and handed to pino's asynchronous
 * destination (sonic-boom) in batches of 64 K characters, or 200 ms after the first line of a
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

const BATCH_CHARS = 64 * 1024;
const BATCH_DELAY_MS = 200;
const CLOSE_WAIT_MS = 10_000;

export interface LogDestination {
  write(line: string): void;
  /** Writes everything, in order, and stops listening for process exit; resolves once it is out. */
  close(): Promise<void>;
}

export function bufferedLogDestination(dest: number | string, maxBytes: number): LogDestination {
  // Lines are gathered as strings and encoded once per batch: encoding each line into a buffer
  // as it came (a call into C++ per line) showed at about 1 µs per line in the /health profile,
  // and handing sonic-boom strings costs more still (it measures and joins them on every write).
  let lines: string[] = [];
  let gathered = 0;
  let timer: NodeJS.Timeout | null = null;
  const handOver = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (lines.length === 0) return;
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    gathered = 0;
    writeBytes(Buffer.from(batch, 'utf8'));
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
      lines.push(line);
      // Counted in UTF-16 units: a batch of non-ASCII lines is up to three times as many bytes.
      gathered += line.length;
      if (gathered >= BATCH_CHARS) {
        handOver();
        return;
      }
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
