/** Bundles cache-child.ts into one CommonJS file, so each crash-test cycle starts in ~100 ms. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export async function bundleCacheChild(): Promise<string> {
  // Inside the repo so `better-sqlite3` (native, not bundled) resolves from node_modules.
  const dir = join(root, 'node_modules', '.cache', 'cadence-test', String(process.pid));
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const outfile = join(dir, 'cache-child.cjs');
  await build({
    entryPoints: [join(root, 'src/main/testing/cache-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
