/**
 * The bridge over the web host's loopback WebSocket. The launch token arrives in the URL
 * fragment once; it is kept for the tab's session and removed from the address bar.
 */
import { WebBridgeServerMessageSchema, type BridgeTransport } from '../../../shared/bridge';

const TOKEN_KEY = 'cadence.launchToken';

export function takeLaunchToken(): string | null {
  const match = /(?:^#|&)token=([\w-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return match[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export type TransportState = 'connecting' | 'open' | 'closed';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class WebSocketTransport implements BridgeTransport {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: string, payload: unknown) => void>();
  private readonly stateListeners = new Set<(state: TransportState) => void>();
  private opened: Promise<WebSocket> | null = null;
  private retryMs = 250;

  constructor(private readonly url: string) {}

  onState(listener: (state: TransportState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: TransportState): void {
    for (const listener of this.stateListeners) listener(state);
  }

  private connect(): Promise<WebSocket> {
    if (this.opened) return this.opened;
    this.setState('connecting');
    this.opened = new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.url);
      socket.addEventListener('open', () => {
        this.socket = socket;
        this.retryMs = 250;
        this.setState('open');
        resolve(socket);
      });
      socket.addEventListener('message', (event) => this.receive(String(event.data)));
      socket.addEventListener('close', () => {
        this.socket = null;
        this.opened = null;
        for (const [, call] of this.pending) call.reject(new Error('the app backend closed the connection'));
        this.pending.clear();
        this.setState('closed');
        reject(new Error('could not reach the app backend'));
        // Events keep flowing after the backend comes back, without a page reload.
        setTimeout(() => void this.connect().catch(() => undefined), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 5000);
      });
    });
    return this.opened;
  }

  private receive(raw: string): void {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return;
    }
    const message = WebBridgeServerMessageSchema.safeParse(json);
    if (!message.success) return;
    if (message.data.kind === 'result') {
      const call = this.pending.get(message.data.id);
      if (!call) return;
      this.pending.delete(message.data.id);
      call.resolve(message.data.result);
    } else {
      for (const listener of this.listeners) listener(message.data.event, message.data.payload);
    }
  }

  async invoke(method: string, input: unknown): Promise<unknown> {
    const socket = await this.connect();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ kind: 'call', id, method, input }));
    });
  }

  on(listener: (event: string, payload: unknown) => void): () => void {
    this.listeners.add(listener);
    void this.connect().catch(() => undefined);
    return () => this.listeners.delete(listener);
  }
}

export function webSocketUrl(token: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/bridge?token=${encodeURIComponent(token)}`;
}
