/** Bridge events from services to every connected renderer, checked against the contract. */
import { bridgeEvents, type BridgeEventName, type BridgeEventPayload } from '../../shared/bridge';

export type BridgeEventListener = (event: BridgeEventName, payload: unknown) => void;

export class BridgeEventHub {
  private readonly listeners = new Set<BridgeEventListener>();

  emit<E extends BridgeEventName>(event: E, payload: BridgeEventPayload<E>): void {
    const checked = bridgeEvents[event].parse(payload);
    for (const listener of this.listeners) {
      try {
        listener(event, checked);
      } catch {
        // One broken transport must not stop the others.
      }
    }
  }

  subscribe(listener: BridgeEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
