/**
 * The web host: serves the built renderer to a browser and carries the bridge over a loopback
 * WebSocket. Only pages from this host (Origin check) holding this launch's token may connect.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { WebBridgeClientMessageSchema } from '../../shared/bridge';
import type { CadenceCore } from '../core';

export interface WebHostOptions {
  core: CadenceCore;
  rendererDir: string;
  port: number;
  host?: string;
  /** Per-launch secret; generated when not given. */
  token?: string;
}

export interface WebHost {
  app: FastifyInstance;
  /** Base URL without the token. */
  origin: string;
  /** The URL to open: carries the token in the fragment, so it never reaches a server log. */
  launchUrl: string;
  token: string;
  close(): Promise<void>;
}

export const BRIDGE_PATH = '/bridge';
const MAX_MESSAGE_BYTES = 1024 * 1024;

export function contentSecurityPolicy(origin: string): string {
  const wsOrigin = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    // FullCalendar and Vue transitions set inline styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${wsOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const indexPath = join(options.rendererDir, 'index.html');
  if (!existsSync(indexPath)) throw new Error(`renderer is not built: ${indexPath} is missing (run npm run build)`);
  const token = options.token ?? randomBytes(24).toString('base64url');
  const host = options.host ?? '127.0.0.1';
  const app = Fastify({ logger: false, forceCloseConnections: true });
  let origin = '';
  const allowedOrigins = (): string[] => {
    const port = new URL(origin).port;
    return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  };

  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_MESSAGE_BYTES } });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Content-Security-Policy', contentSecurityPolicy(origin));
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    return payload;
  });
  await app.register(fastifyStatic, { root: options.rendererDir, index: false, wildcard: false });
  const indexHtml = readFileSync(indexPath);
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(indexHtml));

  const sockets = new Set<WebSocket>();
  const unsubscribe = options.core.events.subscribe((event, payload) => {
    const message = JSON.stringify({ kind: 'event', event, payload });
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(message);
  });

  app.get(
    BRIDGE_PATH,
    {
      websocket: true,
      // Refused before the upgrade: a page from another origin, or without this launch's token.
      preValidation: async (request, reply) => {
        const requestOrigin = request.headers.origin;
        if (!requestOrigin || !allowedOrigins().includes(requestOrigin)) {
          return reply.code(403).send({ error: { code: 'forbidden', message: 'origin not allowed' } });
        }
        const given = (request.query as Record<string, unknown>).token;
        if (typeof given !== 'string' || !tokensMatch(given, token)) {
          return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing or wrong launch token' } });
        }
      },
    },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('message', (raw, isBinary) => {
        if (isBinary) return socket.close(1003, 'text messages only');
        let parsedJson: unknown;
        try {
          parsedJson = JSON.parse(raw.toString());
        } catch {
          return socket.close(1007, 'message is not JSON');
        }
        const message = WebBridgeClientMessageSchema.safeParse(parsedJson);
        if (!message.success) return socket.close(1008, 'message does not follow the bridge protocol');
        const { id, method, input } = message.data;
        void options.core.dispatcher.dispatch(method, input).then((result) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ kind: 'result', id, result }));
        });
      });
    },
  );

  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  origin = `http://${host}:${port}`;
  return {
    app,
    origin,
    launchUrl: `${origin}/#token=${token}`,
    token,
    async close() {
      unsubscribe();
      for (const socket of sockets) socket.terminate();
      await app.close();
    },
  };
}
