/** The item editor dialog: opened from the calendar, recommendations or schedules, prefilled. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Platform } from '../../../shared/api/common';

export interface EditorPrefill {
  platform?: Platform;
  scheduledTime?: string;
  timeZone?: string;
  scheduleId?: string;
  contentId?: string;
  /** Shown at the top: where the prefill came from ("Recommended: 82%…"). */
  note?: string;
}

export const useEditorStore = defineStore('editor', () => {
  const open = ref(false);
  const prefill = ref<EditorPrefill>({});
  /** Bumped on every open so the form resets even when the prefill is the same. */
  const session = ref(0);
  const lastSaved = ref<{ scheduleId: string; itemId: string | null; scheduledTime: string } | null>(null);

  function show(input: EditorPrefill = {}): void {
    prefill.value = input;
    session.value++;
    open.value = true;
  }
  function close(): void {
    open.value = false;
  }
  return { open, prefill, session, lastSaved, show, close };
});
