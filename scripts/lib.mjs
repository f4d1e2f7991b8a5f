// Small helpers shared by the launch scripts (plain Node, no build step needed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
