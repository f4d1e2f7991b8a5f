/**
 * `npm run bench [-- name …]`: runs every bench/*.bench.ts (or the named ones) one after another
 * and writes each one's figures to bench/results/<name>.json. A bench module exports
 * `default async function (): Promise<Record<string, unknown>>` and measures; it never asserts.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.bench.ts')))
    .sort();
  if (files.length === 0) {
    process.stderr.write(`no benchmarks match ${wanted.join(', ')}\n`);
    process.exit(2);
  }
  mkdirSync(resultsDir, { recursive: true });
  for (const file of files) {
    const name = basename(file, '.bench.ts');
    process.stdout.write(`\n== ${name}\n`);
    const started = Date.now();
    const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { default: () => Promise<Record<string, unknown>> };
    const figures = await mod.default();
    const result = {
      name,
      ran_at: new Date().toISOString(),
      duration_ms: Date.now() - started,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      figures,
    };
    writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n-> bench/results/${name}.json\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
