/**
 * The renderer's typed bridge. It picks the transport at start (Electron's preload object, or
 * the web host's socket) and otherwise does not know which host it runs in. Every result and
 * event is parsed with the shared contract before the UI sees it.
 */
import {
  BridgeResultEnvelopeSchema,
  bridgeEvents,
  bridgeMethods,
  isBridgeEventName,
  type BridgeEventName,
  type BridgeEventPayload,
  type BridgeInput,
  type BridgeMethodName,
  type BridgeOutput,
  type BridgeResult,
  type BridgeTransport,
} from '../../../shared/bridge';
import { takeLaunchToken, WebSocketTransport, webSocketUrl, type TransportState } from './web-socket-transport';

export interface BridgeClient {
  host: 'electron' | 'web';
  call<M extends BridgeMethodName>(method: M, input: BridgeInput<M>): Promise<BridgeResult<BridgeOutput<M>>>;
  on<E extends BridgeEventName>(event: E, listener: (payload: BridgeEventPayload<E>) => void): () => void;
  onTransportState(listener: (state: TransportState) => void): () => void;
}

export function createBridgeClient(transport: BridgeTransport, host: 'electron' | 'web', web?: WebSocketTransport): BridgeClient {
  return {
    host,
    async call(method, input) {
      let raw: unknown;
      try {
        raw = await transport.invoke(method, input);
      } catch (error) {
        return { ok: false, error: { code: 'unavailable', message: error instanceof Error ? error.message : String(error) } };
      }
      const envelope = BridgeResultEnvelopeSchema.safeParse(raw);
      if (!envelope.success) return { ok: false, error: { code: 'internal', message: `${method}: malformed bridge reply` } };
      if (!envelope.data.ok) return envelope.data;
      const value = bridgeMethods[method].output.safeParse(envelope.data.value);
      if (!value.success) return { ok: false, error: { code: 'internal', message: `${method}: reply does not match the contract` } };
      return { ok: true, value: value.data as BridgeOutput<typeof method> };
    },
    on(event, listener) {
      return transport.on((name, payload) => {
        if (name !== event || !isBridgeEventName(name)) return;
        const parsed = bridgeEvents[event].safeParse(payload);
        if (parsed.success) listener(parsed.data as BridgeEventPayload<typeof event>);
      });
    },
    onTransportState(listener) {
      if (!web) {
        listener('open');
        return () => undefined;
      }
      return web.onState(listener);
    },
  };
}

let client: BridgeClient | null = null;

export function bridge(): BridgeClient {
  if (client) return client;
  if (window.cadence) {
    client = createBridgeClient(window.cadence, 'electron');
  } else {
    const token = takeLaunchToken() ?? '';
    const web = new WebSocketTransport(webSocketUrl(token));
    client = createBridgeClient(web, 'web', web);
  }
  return client;
}

/** Unwraps a result for callers that show the error themselves. */
export class BridgeCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Array<{ path: string; message: string }> = [],
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export async function callOrThrow<M extends BridgeMethodName>(method: M, input: BridgeInput<M>): Promise<BridgeOutput<M>> {
  const result = await bridge().call(method, input);
  if (result.ok) return result.value;
  throw new BridgeCallError(result.error.code, result.error.message, result.error.details ?? [], result.error.data);
}
