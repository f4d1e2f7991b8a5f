/** The engine connection as the main process reports it, the bridge's own link, and sync state. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EngineStatus, SyncStatus } from '../../../shared/bridge';
import { bridge } from '../bridge/client';
import type { TransportState } from '../bridge/web-socket-transport';

export const useConnectionStore = defineStore('connection', () => {
  const engine = ref<EngineStatus | null>(null);
  const bridgeState = ref<TransportState>('connecting');
  const sync = ref<SyncStatus | null>(null);
  /** Set when sync.status is not served yet: the indicator falls back to the engine status. */
  const syncUnavailable = ref(false);
  const lastError = ref<string | null>(null);
  let started = false;

  async function refresh(): Promise<void> {
    const result = await bridge().call('engine.status', {});
    if (result.ok) engine.value = result.value;
    else lastError.value = result.error.message;
    const status = await bridge().call('sync.status', {});
    if (status.ok) {
      sync.value = status.value;
      syncUnavailable.value = false;
    } else syncUnavailable.value = true;
  }

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('engine.status', (status) => {
      engine.value = status;
    });
    bridge().on('sync.status', (status) => {
      sync.value = status;
      syncUnavailable.value = false;
    });
    bridge().onTransportState((state) => {
      const reconnected = bridgeState.value === 'closed' && state === 'open';
      bridgeState.value = state;
      // Status changes may have happened while the bridge itself was down.
      if (reconnected) void refresh();
    });
    void refresh();
  }

  async function syncNow(): Promise<void> {
    const result = await bridge().call('sync.now', {});
    if (result.ok) sync.value = result.value;
    else lastError.value = result.error.message;
  }

  const online = computed(() => engine.value?.state === 'connected');

  /** One answer for the header: live, reconnecting or offline, from sync when served, else the engine. */
  const live = computed<'live' | 'reconnecting' | 'offline'>(() => {
    if (bridgeState.value === 'closed') return 'offline';
    // The health probe notices a stopped engine first; sync's own socket takes a while to give up.
    if (engine.value?.state === 'offline') return 'offline';
    if (sync.value) return sync.value.live;
    if (!engine.value || engine.value.state === 'connecting') return 'reconnecting';
    return engine.value.state === 'connected' ? 'live' : 'offline';
  });

  const offlineSince = computed<string | null>(() => {
    if (sync.value?.offlineSince) return sync.value.offlineSince;
    if (engine.value?.state === 'offline') return engine.value.since;
    return null;
  });

  return { engine, bridgeState, sync, syncUnavailable, lastError, online, live, offlineSince, start, refresh, syncNow };
});
