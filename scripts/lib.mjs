// Small helpers shared by the launch scripts (plain Node, no build step needed).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

export function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}

/** Builds main, preload and renderer; exits with the build's own message when it fails. */
export function build() {
  const result = spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write('Cadence: the build failed (see above). Run `npm install` first if dependencies are missing.\n');
    process.exit(result.status ?? 1);
  }
}

/** The Electron binary's path, or null when the package has no binary (its download never ran or failed). */
export function electronBinary() {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

/** Runs electron's own install script (the download `allowScripts` skipped at npm install). */
export function installElectronBinary() {
  let installScript;
  try {
    installScript = require.resolve('electron/install.js');
  } catch {
    return { ok: false, reason: 'the electron package is not installed' };
  }
  const result = spawnSync(process.execPath, [installScript], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (result.status === 0 && electronBinary()) return { ok: true };
  const lastLine = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').find((line) => /error|failed/i.test(line));
  return { ok: false, reason: result.error ? result.error.message : (lastLine ?? `exit code ${result.status}`) };
}

export function runForwardingSignals(command, args, options = {}) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return child;
}

/**
 * better-sqlite3 compiled for Electron's ABI, kept beside the Node build (which tests and the
 * web host use). Built once per Electron version: a prebuilt binary when one can be fetched,
 * else compiled against Electron's headers. Returns its path, or null with the reason.
 */
export function electronSqliteBinding() {
  const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  const target = join(root, 'out', 'native', `electron-${electronVersion}-${process.arch}`, 'better_sqlite3.node');
  if (existsSync(target)) return { path: target };
  const work = mkdtempSync(join(tmpdir(), 'cadence-native-'));
  try {
    const copy = join(work, 'better-sqlite3');
    cpSync(join(root, 'node_modules', 'better-sqlite3'), copy, { recursive: true });
    rmSync(join(copy, 'build'), { recursive: true, force: true });
    const attempts = [
      [process.execPath, [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch]],
      ['npx', ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers']],
    ];
    for (const [command, args] of attempts) {
      const run = spawnSync(command, args, { cwd: copy, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
      const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
      if (run.status === 0 && existsSync(built)) {
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(built, target);
        return { path: target };
      }
    }
    return { path: null, reason: 'could not fetch or compile better-sqlite3 for Electron' };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
