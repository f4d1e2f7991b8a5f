/**
 * A TCP fault-injection proxy for tests: sits between the client and a real server on loopback
 * and, on command, delays, drops, resets or blackholes connections (new ones, and `cutAll` for
 * the open ones). It is byte-transparent otherwise, so HTTP and WebSocket both pass through.
 */
import net from 'node:net';

export type FaultMode = { kind: 'pass' } | { kind: 'delay'; ms: number; onlyResponses?: boolean } | { kind: 'drop' } | { kind: 'reset' } | { kind: 'blackhole' };

export interface FaultProxy {
  port: number;
  url: string;
  setMode(mode: FaultMode): void;
  setTarget(port: number): void;
  /** Resets every open connection now (a cut cable). */
  cutAll(): void;
  /** Open connections stop carrying bytes, without FIN or RST (a dead peer, a sleeping laptop). */
  freezeAll(): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, listenPort = 0): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  let target = targetPort;
  const open = new Set<net.Socket>();
  const frozen = new WeakSet<net.Socket>();

  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    const current = mode;
    if (current.kind === 'drop') {
      client.end();
      return;
    }
    if (current.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (current.kind === 'blackhole') {
      // Accepts and reads, never answers: the client must time out on its own.
      client.on('data', () => undefined);
      return;
    }
    const upstream = net.connect(target, '127.0.0.1');
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        const delay = current.kind === 'delay' && (!current.onlyResponses || from === upstream) ? current.ms : 0;
        if (frozen.has(from)) return;
        if (delay > 0) setTimeout(() => to.writable && to.write(chunk), delay);
        else if (to.writable) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listenPort;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setMode(next) {
      mode = next;
    },
    setTarget(next) {
      target = next;
    },
    cutAll() {
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    freezeAll() {
      for (const socket of open) frozen.add(socket);
    },
    connections: () => open.size,
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
