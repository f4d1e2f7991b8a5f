/** The activity feed (history + live) and the toasts shown for notifications and local actions. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ActivityEntry, NotificationPayload } from '../../../shared/bridge';
import { bridge } from '../bridge/client';

export interface Toast {
  id: string;
  title: string;
  body: string;
  tone: 'info' | 'success' | 'warning' | 'danger';
  action?: { label: string; run: () => void | Promise<void> };
  /** Milliseconds before it goes away by itself; 0 = stays until dismissed. */
  timeoutMs: number;
}

const MAX_FEED = 500;

const toneOf: Record<NotificationPayload['kind'], Toast['tone']> = {
  published: 'success',
  failed: 'danger',
  due_soon: 'warning',
  info: 'info',
};

export const useActivityStore = defineStore('activity', () => {
  const feed = ref<ActivityEntry[]>([]);
  const toasts = ref<Toast[]>([]);
  const error = ref<string | null>(null);
  const seenNotifications = new Set<string>();
  let started = false;
  let toastSeq = 0;

  function push(entry: ActivityEntry): void {
    if (feed.value.some((e) => e.id === entry.id)) return;
    feed.value = [entry, ...feed.value].slice(0, MAX_FEED);
  }

  async function load(): Promise<void> {
    const result = await bridge().call('activity.list', {});
    if (result.ok) {
      const known = new Set(result.value.map((e) => e.id));
      const liveOnly = feed.value.filter((e) => !known.has(e.id));
      feed.value = [...liveOnly, ...result.value].sort((a, b) => b.at.localeCompare(a.at)).slice(0, MAX_FEED);
      error.value = null;
    } else error.value = result.error.message;
  }

  function toast(input: Omit<Toast, 'id' | 'timeoutMs'> & { timeoutMs?: number }): string {
    const id = `t${++toastSeq}`;
    const item: Toast = { timeoutMs: input.action ? 10_000 : 6_000, ...input, id };
    toasts.value = [...toasts.value, item].slice(-5);
    if (item.timeoutMs > 0) setTimeout(() => dismiss(id), item.timeoutMs);
    return id;
  }

  function dismiss(id: string): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('activity', push);
    bridge().on('notification', (n) => {
      if (seenNotifications.has(n.id)) return;
      seenNotifications.add(n.id);
      toast({ title: n.title, body: n.body, tone: toneOf[n.kind], timeoutMs: n.kind === 'failed' ? 0 : 8_000 });
    });
    void load();
  }

  return { feed, toasts, error, start, load, toast, dismiss };
});
