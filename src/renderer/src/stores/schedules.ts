/** Schedules as the cache holds them (schedules.list), refetched when data.changed says so. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BridgeError, BridgeInput, ScheduleSummary } from '../../../shared/bridge';
import { bridge } from '../bridge/client';

export interface Freshness {
  fetchedAt: string | null;
  stale: boolean;
  source: 'cache' | 'network';
}

export const useSchedulesStore = defineStore('schedules', () => {
  const list = ref<ScheduleSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<BridgeError | null>(null);
  const freshness = ref<Freshness | null>(null);
  let started = false;

  async function load(): Promise<void> {
    loading.value = true;
    const result = await bridge().call('schedules.list', {});
    loading.value = false;
    if (result.ok) {
      list.value = [...result.value.data].sort((a, b) => a.title.localeCompare(b.title));
      freshness.value = { fetchedAt: result.value.fetchedAt, stale: result.value.stale, source: result.value.source };
      error.value = null;
      loaded.value = true;
    } else {
      error.value = result.error;
    }
  }

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('data.changed', (change) => {
      if (change.scopes.includes('schedules') || change.scopes.includes('items')) void load();
    });
    void load();
  }

  async function create(input: BridgeInput<'schedules.create'>) {
    const result = await bridge().call('schedules.create', input);
    if (result.ok) void load();
    return result;
  }

  async function update(input: BridgeInput<'schedules.update'>) {
    const result = await bridge().call('schedules.update', input);
    if (result.ok) void load();
    return result;
  }

  async function remove(id: string) {
    const result = await bridge().call('schedules.delete', { id });
    if (result.ok) void load();
    return result;
  }

  function byId(id: string): ScheduleSummary | undefined {
    return list.value.find((s) => s.id === id);
  }

  return { list, loaded, loading, error, freshness, start, load, create, update, remove, byId };
});
