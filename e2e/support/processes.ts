/**
 * Real processes for end-to-end specs: the web host and the standalone API server, each a child
 * process on loopback with its own temp data dir, started and killed like a user would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

export function tempDataDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'cadence-e2e-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${seen}`));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function running(child: ChildProcess): RunningProcess {
  return {
    child,
    kill: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // tsx runs the program in a child of its own: signal the whole group, as a crash would take it.
        try {
          process.kill(-(child.pid ?? 0), signal);
        } catch {
          child.kill(signal);
        }
      }),
  };
}

export interface WebHostProcess extends RunningProcess {
  /** URL with the launch token in its fragment, as printed for the user. */
  launchUrl: string;
  origin: string;
  token: string;
}

export async function startWebHostProcess(args: { dataDir: string; apiUrl?: string; apiKey?: string; enginePort?: number }): Promise<WebHostProcess> {
  const argv = [join(root, 'src/main/web/cli.ts'), '--port', '0', '--data-dir', args.dataDir];
  if (args.apiUrl && args.apiKey) argv.push('--api-url', args.apiUrl, '--api-key', args.apiKey);
  if (args.enginePort) argv.push('--engine-port', String(args.enginePort));
  const child = spawn(tsx, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const match = await waitForLine(child, /Cadence is running at (http:\/\/127\.0\.0\.1:\d+)\/#token=([\w-]+)/, 'web host');
  const origin = match[1] ?? '';
  const token = match[2] ?? '';
  return { ...running(child), origin, token, launchUrl: `${origin}/#token=${token}` };
}

export function createApiKey(dataDir: string): string {
  const result = spawnSync(tsx, [join(root, 'src/server/cli.ts'), 'create-key', '--data-dir', dataDir], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`create-key failed: ${result.stderr}`);
  return result.stdout.trim();
}

export async function startServerProcess(args: { dataDir: string; port: number }): Promise<RunningProcess & { url: string }> {
  const child = spawn(tsx, [join(root, 'src/server/cli.ts'), '--port', String(args.port), '--data-dir', args.dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const match = await waitForLine(child, /listening on (http:\/\/[\d.:]+)/, 'API server');
  return { ...running(child), url: match[1] ?? '' };
}
