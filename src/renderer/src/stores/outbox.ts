/** Changes made offline that wait for the server; parked ones need the user's decision. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { OutboxEntry } from '../../../shared/bridge';
import { bridge } from '../bridge/client';

export const useOutboxStore = defineStore('outbox', () => {
  const entries = ref<OutboxEntry[]>([]);
  const error = ref<string | null>(null);
  const busy = ref<string | null>(null);
  let started = false;

  async function load(): Promise<void> {
    const result = await bridge().call('outbox.list', {});
    if (result.ok) {
      entries.value = result.value;
      error.value = null;
    } else error.value = result.error.message;
  }

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('data.changed', (change) => {
      if (change.scopes.includes('outbox')) void load();
    });
    bridge().on('sync.status', () => void load());
    void load();
  }

  async function act(kind: 'outbox.retry' | 'outbox.discard', id: string): Promise<void> {
    busy.value = id;
    const result = await bridge().call(kind, { id });
    busy.value = null;
    if (result.ok) {
      entries.value = result.value;
      error.value = null;
    } else error.value = result.error.message;
  }

  return { entries, error, busy, start, load, retry: (id: string) => act('outbox.retry', id), discard: (id: string) => act('outbox.discard', id) };
});
