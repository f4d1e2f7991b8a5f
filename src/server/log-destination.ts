/**
 * Where the server's log lines go: gathered in memory and written by pino's destination
 * (sonic-boom) in batches of 16 Ki characters, or 200 ms after the first line of a batch,
 * whichever comes first. Why batches: a write costs a system call almost whatever its size, and
 * sonic-boom re-measures its growing buffer on every line appended to it; one write per batch
 * makes the line's share of it a fraction of a microsecond.
 * Why synchronous writes (pino's default): an asynchronous write in flight cannot be waited for
 * when the process exits or the server closes, so the flush that follows overtook it and the
 * lines came out of order, or were lost at exit, when the disk was slow (log-destination.test.ts
 * caught it on a loaded machine). A synchronous batch write is also cheaper than a thread-pool
 * hand-off. The cost: a destination that blocks (a full pipe) slows the server down to its pace
 * instead of growing memory or dropping lines.
 */
import pino from 'pino';

const BATCH_CHARS = 16 * 1024;
const BATCH_DELAY_MS = 200;

export interface LogDestination {
  write(line: string): void;
  /** Writes everything gathered so far, synchronously (close, exit). */
  flushSync(): void;
  /** Flushes and stops listening for process exit. */
  close(): void;
}

export function bufferedLogDestination(dest: number | string, maxBytes: number): LogDestination {
  let lines: string[] = [];
  let chars = 0;
  let timer: NodeJS.Timeout | null = null;
  const handOver = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (lines.length === 0) return;
    const batch = lines.join('');
    lines = [];
    chars = 0;
    sonic.write(batch);
  };
  // Registered before pino.destination registers its own exit flush, so it runs first: the lines
  // still gathered here reach sonic-boom before sonic-boom writes out what it holds.
  const onExit = (): void => handOver();
  process.on('exit', onExit);
  // minLength 0: batches are already large; sonic-boom writes each one as it is handed over.
  const sonic = pino.destination({ dest, sync: true, minLength: 0, maxLength: maxBytes });
  return {
    write(line) {
      lines.push(line);
      chars += line.length;
      if (chars >= BATCH_CHARS) handOver();
      else if (timer === null) {
        timer = setTimeout(handOver, BATCH_DELAY_MS);
        // A quiet server still exits: the exit hook writes what is left.
        timer.unref();
      }
    },
    flushSync() {
      handOver();
      try {
        sonic.flushSync();
      } catch {
        // Nothing buffered, or the destination not open yet / already gone: nothing to save now.
      }
    },
    close() {
      this.flushSync();
      process.removeListener('exit', onExit);
    },
  };
}
