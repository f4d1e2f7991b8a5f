/**
 * The embedded Scheduling API: the same server teams run standalone, started in-process on
 * 127.0.0.1 with its data in the app's data dir, so a fresh install works with no account.
 */
import { join } from 'node:path';
import { createServer, type CadenceServer } from '../../../server/app';

export interface EmbeddedEngineOptions {
  dataDir: string;
  /** Preferred port; 0 picks a free one. The engine keeps its port across stop/start when it can. */
  port?: number;
  /** How long stop() lets in-flight requests finish before it drops their connections. */
  closeGraceMs?: number;
}

export class EmbeddedEngine {
  private server: CadenceServer | null = null;
  private lastPort: number;
  private starting: Promise<string> | null = null;
  private currentUrl: string | null = null;

  constructor(private readonly options: EmbeddedEngineOptions) {
    this.lastPort = options.port ?? 0;
  }

  get url(): string | null {
    return this.currentUrl;
  }

  get running(): boolean {
    return this.server !== null;
  }

  get dataDir(): string {
    return join(this.options.dataDir, 'engine');
  }

  /** Starts the engine (idempotent) and returns its base URL. */
  start(): Promise<string> {
    if (this.server && this.currentUrl) return Promise.resolve(this.currentUrl);
    if (!this.starting) {
      this.starting = this.startOnce().finally(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  private async startOnce(): Promise<string> {
    const server = await createServer({ dataDir: this.dataDir, logger: false });
    let url: string;
    try {
      url = await server.listen(this.lastPort);
    } catch (error) {
      // The old port was taken meanwhile: take any free one rather than fail.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || this.lastPort === 0) {
        await server.close();
        throw error;
      }
      url = await server.listen(0);
    }
    this.lastPort = Number(new URL(url).port);
    this.server = server;
    this.currentUrl = url;
    return url;
  }

  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const server = this.server;
    this.server = null;
    if (server) {
      // Closing waits for in-flight requests; one stuck (seen rarely when a live socket was
      // dropped mid-upgrade) must not hang the app's quit or a connection switch.
      const force = setTimeout(() => {
        process.stderr.write('embedded engine: close is waiting on a connection; forcing it closed\n');
        server.app.server.closeAllConnections();
      }, this.options.closeGraceMs ?? 3000);
      try {
        await server.close();
      } finally {
        clearTimeout(force);
      }
    }
  }

  /** The running server, for the first-run key creation. */
  get instance(): CadenceServer | null {
    return this.server;
  }
}
