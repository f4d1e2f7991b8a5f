/** In-app navigation: one current view, no router (the app has no URLs worth sharing). */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const VIEWS = [
  { id: 'calendar', label: 'Calendar' },
  { id: 'recommendations', label: 'Recommendations' },
  { id: 'schedules', label: 'Schedules' },
  { id: 'optimize', label: 'Optimization' },
  { id: 'activity', label: 'Activity' },
  { id: 'outbox', label: 'Queued changes' },
  { id: 'import', label: 'Import & export' },
  { id: 'settings', label: 'Settings' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

export const useNavStore = defineStore('nav', () => {
  const current = ref<ViewId>('calendar');
  /** Set when another view asks the target to focus something (e.g. a schedule id). */
  const focusId = ref<string | null>(null);
  function go(view: ViewId, focus: string | null = null): void {
    current.value = view;
    focusId.value = focus;
  }
  return { current, focusId, go };
});
