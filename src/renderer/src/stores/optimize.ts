/** The last optimization and what was applied from it: kept across views so Undo still works. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { OptimizationResult } from '../../../shared/api/resources';

export type RowState = { state: 'applied' | 'conflict' | 'undone'; message?: string };

export const useOptimizeStore = defineStore('optimize', () => {
  const scheduleId = ref('');
  const result = ref<OptimizationResult | null>(null);
  const selected = ref<Set<string>>(new Set());
  const rowState = ref<Record<string, RowState>>({});
  const lastApplied = ref<Array<{ itemId: string; from: string }>>([]);
  return { scheduleId, result, selected, rowState, lastApplied };
});
