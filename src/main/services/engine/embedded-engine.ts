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
    // The app is the engine's only client: a limit ten times the server default still stops a
    // runaway loop, but never throttles a burst of outbox replays or a full resync.
    const server = await createServer({ dataDir: this.dataDir, logger: false, rateLimit: { limit: 6000, windowMs: 60_000 } });
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
      // Closing waits for in-flight requests and the server's close hooks. It used to hang when
      // the live connection reconnected into the close (an upgrade socket nobody ended; fixed in
      // routes/ws.ts, see ws-close.test.ts). This stays as a safety net so the app's quit and a
      // connection switch never hang on a close: HTTP connections are forced closed after a
      // grace period (upgrade sockets are not among them), and after a second one the close is
      // left to finish on its own. The listening socket is closed at once, so the port is free.
      const grace = this.options.closeGraceMs ?? 3000;
      let timer: NodeJS.Timeout | null = null;
      const closing = server.close();
      const outcome = await Promise.race([
        closing.then(() => 'closed' as const),
        new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), grace))),
      ]);
      if (timer) clearTimeout(timer);
      if (outcome === 'slow') {
        process.stderr.write('embedded engine: close is waiting on a connection; forcing it closed\n');
        server.app.server.closeAllConnections();
        const late = await Promise.race([
          closing.then(() => 'closed' as const),
          new Promise<'abandoned'>((resolve) => setTimeout(() => resolve('abandoned'), grace).unref()),
        ]);
        if (late === 'abandoned') process.stderr.write('embedded engine: close did not finish; continuing without waiting\n');
      }
    }
  }

  /** The running server, for the first-run key creation. */
  get instance(): CadenceServer | null {
    return this.server;
  }
}
