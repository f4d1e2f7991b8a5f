import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { bufferedLogDestination } from './log-destination';

const dir = mkdtempSync(join(tmpdir(), 'cadence-log-dest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const numbers = (file: string): number[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { n: number }).n);

it('a quiet server’s few lines reach the file without waiting for a full batch or a close', async () => {
  const file = join(dir, 'quiet.log');
  const destination = bufferedLogDestination(file, 1024 * 1024);
  try {
    for (let n = 0; n < 3; n++) destination.write(`${JSON.stringify({ n })}\n`);
    let seen: number[] = [];
    for (let i = 0; i < 100 && seen.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        seen = numbers(file);
      } catch {
        // Not created yet.
      }
    }
    expect(seen).toEqual([0, 1, 2]);
  } finally {
    await destination.close();
  }
});

it('many lines, in batches, are all written in order by the time close resolves; a straggler after close is written too', async () => {
  const file = join(dir, 'many.log');
  const destination = bufferedLogDestination(file, 64 * 1024 * 1024);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const count = 20_000;
  for (let n = 0; n < count; n++) {
    destination.write(`${JSON.stringify({ n, pad: 'x'.repeat(100) })}\n`);
    // The first half lets batches go out as they fill; the second leaves them all to the close.
    if (n < count / 2 && n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await destination.close();
  // Once close resolves, nothing is in flight: a synchronous flush at close used to overtake
  // the asynchronous write under way (lines out of order) on a slow disk.
  expect(numbers(file)).toEqual(Array.from({ length: count }, (_, n) => n));
  destination.write(`${JSON.stringify({ n: count })}\n`);
  expect(numbers(file)).toEqual(Array.from({ length: count + 1 }, (_, n) => n));
});

it('a process that exits without closing still writes the lines it had gathered', async () => {
  const file = join(dir, 'exit.log');
  const script = join(dir, 'exit.ts');
  const module = fileURLToPath(new URL('./log-destination.ts', import.meta.url));
  writeFileSync(
    script,
    `import { bufferedLogDestination } from ${JSON.stringify(module)};
const destination = bufferedLogDestination(${JSON.stringify(file)}, 1024 * 1024);
destination.write('{"n":-1}\\n');
setTimeout(() => {
  for (let n = 0; n < 20; n++) destination.write(JSON.stringify({ n }) + '\\n');
  process.exit(0);
}, 300);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  expect(numbers(file)).toEqual([-1, ...Array.from({ length: 20 }, (_, n) => n)]);
});
