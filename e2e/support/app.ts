/**
 * Helpers for dashboard specs: a fresh web host per test, a bridge socket for the test itself
 * (to stop the engine or read what the app's services hold, as slice.spec.ts does), screenshots
 * and axe checks.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import WebSocket from 'ws';
import { startWebHostProcess, tempDataDir, type WebHostProcess } from './processes';

export interface App {
  host: WebHostProcess;
  bridge: BridgeSocket;
  close(): Promise<void>;
}

export async function openApp(page: Page): Promise<App> {
  const data = tempDataDir();
  const host = await startWebHostProcess({ dataDir: data.path });
  const bridge = await BridgeSocket.connect(host);
  await page.goto(host.launchUrl);
  await expect(page.getByRole('status', { name: 'Engine connection' })).toHaveText(/Connected to the embedded engine/);
  return {
    host,
    bridge,
    async close() {
      bridge.close();
      await host.kill();
      data.remove();
    },
  };
}

type Result = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/** The test's own bridge connection: calls methods the way the renderer does. */
export class BridgeSocket {
  private nextId = 1;
  private readonly pending = new Map<number, (result: Result) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { kind: string; id?: number; result?: Result };
      if (message.kind === 'result' && message.id !== undefined) {
        this.pending.get(message.id)?.(message.result as Result);
        this.pending.delete(message.id);
      }
    });
  }

  static async connect(host: WebHostProcess): Promise<BridgeSocket> {
    const socket = new WebSocket(`${host.origin.replace('http', 'ws')}/bridge?token=${host.token}`, { origin: host.origin });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new BridgeSocket(socket);
  }

  call(method: string, input: unknown = {}): Promise<Result> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ kind: 'call', id, method, input }));
    });
  }

  /** Calls and returns the value, failing the test loudly on an error result. */
  async value<T = unknown>(method: string, input: unknown = {}): Promise<T> {
    const result = await this.call(method, input);
    if (!result.ok) throw new Error(`${method} failed: ${result.error.code}: ${result.error.message}`);
    return result.value as T;
  }

  close(): void {
    this.socket.close();
  }
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.png` });
}

export async function goTo(page: Page, view: string): Promise<void> {
  // The name may carry a badge ("Queued changes 1 waiting").
  const name = new RegExp(`^${view.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\d+ waiting)?$`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name }).click();
}

/** Serious and critical axe violations, as readable lines. */
export async function axeProblems(page: Page, only?: string[]): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  const results = await (only ? builder.withRules(only) : builder.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/**
 * A standalone API server whose publisher is a webhook to a loopback address it may not call:
 * every due item fails at once (refused URLs are not retried), which is how a spec sees "failed".
 */
export async function startFailingServer(dataDir: string, port: number): Promise<{ url: string; kill: () => Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { join } = await import('node:path');
  const { root } = await import('./processes');
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'src/server/cli.ts'), '--port', String(port), '--data-dir', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, LOG_LEVEL: 'warn', CADENCE_WEBHOOK_URL: 'http://127.0.0.1:9/publish', CADENCE_WEBHOOK_SECRET: 'e2e-webhook-secret' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`API server did not start:\n${seen}`)), 30_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  return {
    url,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        try {
          process.kill(-(child.pid ?? 0), 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
      }),
  };
}
