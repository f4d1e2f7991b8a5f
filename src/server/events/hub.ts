/**
 * Routes committed events to the live subscribers of their account. Events published in this
 * process arrive with their data; events committed by another process (PostgreSQL) arrive as a
 * "poke" for the account, and each subscriber reads what it is missing from the events table.
 */
import type { ServerEvent } from '../../shared/api/events';
import type { LocalEventBus } from './log';

export interface LiveSubscriber {
  /** Events committed in this process, in the order they were published. */
  onEvents(events: ServerEvent[]): void;
  /** Something new may be in the events table for this account: read it. */
  onPoke(): void;
}

export class LiveHub {
  private readonly byAccount = new Map<string, Set<LiveSubscriber>>();
  private readonly unsubscribeBus: () => void;

  constructor(bus: LocalEventBus) {
    this.unsubscribeBus = bus.subscribe((accountId, events) => {
      const subscribers = this.byAccount.get(accountId);
      if (!subscribers) return;
      for (const subscriber of [...subscribers]) subscriber.onEvents(events);
    });
  }

  subscribe(accountId: string, subscriber: LiveSubscriber): () => void {
    let set = this.byAccount.get(accountId);
    if (!set) {
      set = new Set();
      this.byAccount.set(accountId, set);
    }
    set.add(subscriber);
    return () => {
      const current = this.byAccount.get(accountId);
      if (!current) return;
      current.delete(subscriber);
      if (current.size === 0) this.byAccount.delete(accountId);
    };
  }

  poke(accountId: string): void {
    const subscribers = this.byAccount.get(accountId);
    if (!subscribers) return;
    for (const subscriber of [...subscribers]) subscriber.onPoke();
  }

  /** After a lost notification channel: everyone re-reads from their cursor. */
  pokeAll(): void {
    for (const accountId of [...this.byAccount.keys()]) this.poke(accountId);
  }

  subscriberCount(): number {
    let n = 0;
    for (const set of this.byAccount.values()) n += set.size;
    return n;
  }

  close(): void {
    this.unsubscribeBus();
    this.byAccount.clear();
  }
}
