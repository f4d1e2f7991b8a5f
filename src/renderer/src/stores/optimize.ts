/** The last optimization and what was applied from it: kept across views so Undo still works. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { OptimizationResult } from '../../../shared/api/resources';
import { bridge } from '../bridge/client';

export type RowState = { state: 'applied' | 'conflict' | 'undone'; message?: string };

export const useOptimizeStore = defineStore('optimize', () => {
  const scheduleId = ref('');
  const result = ref<OptimizationResult | null>(null);
  const selected = ref<Set<string>>(new Set());
  const rowState = ref<Record<string, RowState>>({});
  const lastApplied = ref<Array<{ itemId: string; from: string }>>([]);

  /** Shows a result with every proposed change selected. */
  function show(next: OptimizationResult): void {
    result.value = next;
    selected.value = new Set((next.changes ?? []).map((ch) => ch.item_id));
  }

  let started = false;
  /** A queued run (large schedules) finishes later: its result replaces the "queued" one. */
  function start(): void {
    if (started) return;
    started = true;
    bridge().on('optimization.completed', (done) => {
      const current = result.value;
      if (current && current.optimization_id === done.optimization_id && (current.status === 'queued' || current.status === 'running')) show(done);
    });
  }

  return { scheduleId, result, selected, rowState, lastApplied, show, start };
});
