/** The engine connection as the main process reports it, plus the bridge's own link. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EngineStatus } from '../../../shared/bridge';
import { bridge } from '../bridge/client';
import type { TransportState } from '../bridge/web-socket-transport';

export const useConnectionStore = defineStore('connection', () => {
  const engine = ref<EngineStatus | null>(null);
  const bridgeState = ref<TransportState>('connecting');
  const lastError = ref<string | null>(null);
  let started = false;

  async function refresh(): Promise<void> {
    const result = await bridge().call('engine.status', {});
    if (result.ok) engine.value = result.value;
    else lastError.value = result.error.message;
  }

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('engine.status', (status) => {
      engine.value = status;
    });
    bridge().onTransportState((state) => {
      const reconnected = bridgeState.value === 'closed' && state === 'open';
      bridgeState.value = state;
      // Status changes may have happened while the bridge itself was down.
      if (reconnected) void refresh();
    });
    void refresh();
  }

  const online = computed(() => engine.value?.state === 'connected');

  return { engine, bridgeState, lastError, online, start, refresh };
});
