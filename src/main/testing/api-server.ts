/**
 * The real Scheduling API on loopback for main-process tests, restartable on the same port and
 * data dir (kill it mid-sync, bring it back), with a log of the requests it received.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type CadenceServer, type ServerOptions } from '../../server/app';
import { createAccountWithKey } from '../../server/storage/accounts';

export interface LoggedRequest {
  method: string;
  url: string;
  at: number;
  grant?: string;
  status?: number;
}

export interface ApiServer {
  url: string;
  port: number;
  apiKey: string;
  signingSecret: string | null;
  accountId: string;
  server: CadenceServer | null;
  requests: LoggedRequest[];
  running(): boolean;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
  /** GET with the account's key, parsed JSON. */
  get<T = unknown>(path: string): Promise<T>;
  send<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

export async function startApiServer(options: Omit<ServerOptions, 'dataDir'> & { signingSecret?: boolean; port?: number } = {}): Promise<ApiServer> {
  const { signingSecret, port: wantedPort, ...serverOptions } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-api-'));
  const requests: LoggedRequest[] = [];
  let server: CadenceServer | null = null;
  let port = wantedPort ?? 0;

  const boot = async () => {
    const next = await createServer({ logger: false, rateLimit: false, ...serverOptions, dataDir });
    next.app.addHook('onRequest', async (request) => {
      const entry: LoggedRequest = { method: request.method, url: request.url, at: Date.now() };
      logged.set(request, entry);
      requests.push(entry);
    });
    const logged = new WeakMap<object, LoggedRequest>();
    next.app.addHook('onResponse', async (request, reply) => {
      const entry = logged.get(request);
      if (entry) entry.status = reply.statusCode;
      // Refused by an earlier hook (rate limit, auth) before ours saw it arrive.
      else requests.push({ method: request.method, url: request.url, at: Date.now(), status: reply.statusCode });
    });
    next.app.addHook('preHandler', async (request) => {
      const body = request.body as { grant_type?: string } | undefined;
      const entry = logged.get(request);
      if (entry && body?.grant_type) entry.grant = body.grant_type;
    });
    const url = await next.listen(port);
    port = Number(new URL(url).port);
    server = next;
  };
  await boot();
  const created = await createAccountWithKey((server as unknown as CadenceServer).context.storage.db, { withSigningSecret: signingSecret ?? false });
  const url = `http://127.0.0.1:${port}`;

  const api: ApiServer = {
    url,
    port,
    apiKey: created.apiKey,
    signingSecret: created.signingSecret,
    accountId: created.accountId,
    get server() {
      return server;
    },
    requests,
    running: () => server !== null,
    async stop() {
      const current = server;
      server = null;
      if (current) await current.close();
    },
    async restart() {
      await api.stop();
      await boot();
    },
    async close() {
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async get<T>(path: string) {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${created.apiKey}` } });
      return (await response.json()) as T;
    },
    async send<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${created.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
  return api;
}
