/**
 * The calendar benchmark page: the renderer's own CalendarBoard (FullCalendar v7 with the app's
 * options) fed by a synthetic range source. Each reply is validated with the bridge's output
 * schema, as the renderer's bridge client does, so the cost of parsing thousands of items is in
 * the figures; the main process and the socket are not.
 */
import { createApp, h, ref } from 'vue';
import { bridgeMethods, type CalendarEvent } from '../../src/shared/bridge';
import { PLATFORMS } from '../../src/shared/api/common';
import CalendarBoard from '../../src/renderer/src/components/CalendarBoard.vue';
import '../../src/renderer/src/styles.css';

const params = new URLSearchParams(location.search);
const perMonth = Number(params.get('n') ?? '1000');
const statuses = ['scheduled', 'scheduled', 'scheduled', 'published', 'failed', 'processing', 'cancelled'] as const;

/** `perMonth` items spread over each of Dec 2026, Jan 2027 and Feb 2027 (UTC), sorted by time. */
function generate(): CalendarEvent[] {
  const items: CalendarEvent[] = [];
  const months = [Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1), Date.UTC(2027, 1, 1), Date.UTC(2027, 2, 1)];
  let seq = 0;
  for (let m = 0; m < 3; m++) {
    const start = months[m] as number;
    const span = (months[m + 1] as number) - start;
    for (let i = 0; i < perMonth; i++) {
      const t = start + Math.floor(((i + 0.5) / perMonth) * span / 60_000) * 60_000;
      const platform = PLATFORMS[seq % 4] as CalendarEvent['platform'];
      const iso = new Date(t).toISOString().replace('.000Z', 'Z');
      items.push({
        id: `it_${seq}`,
        schedule_id: `sc_${seq % 10}`,
        content_id: `post-${seq}`,
        platform,
        channel: platform,
        scheduled_time: iso,
        status: statuses[seq % statuses.length] as CalendarEvent['status'],
        title: null,
        callbacks: {},
        attempts: 0,
        version: 1,
        schedule_title: `Bench ${seq % 10}`,
        schedule_timezone: 'UTC',
        pending: seq % 97 === 0,
      });
      seq++;
    }
  }
  return items;
}

const all = generate();
const output = bridgeMethods['calendar.range'].output;

function lowerBound(iso: string): number {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((all[mid] as CalendarEvent).scheduled_time < iso) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

let lastFetched = 0;
async function source(from: string, to: string): Promise<CalendarEvent[]> {
  const slice = all.slice(lowerBound(from.replace('.000Z', 'Z')), lowerBound(to.replace('.000Z', 'Z')));
  lastFetched = slice.length;
  const parsed = output.parse({ data: slice, fetchedAt: new Date().toISOString(), stale: false, source: 'cache' });
  return parsed.data;
}

let renderedResolve: (() => void) | null = null;
const board = ref<InstanceType<typeof CalendarBoard> | null>(null);

function painted(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

/** Resolves once FullCalendar has set the events of the new range and the browser painted them. */
function nextRender(): Promise<void> {
  return new Promise((resolve) => {
    renderedResolve = () => void painted().then(resolve);
  });
}

async function timed(action: () => void): Promise<{ ms: number; items: number }> {
  const done = nextRender();
  const t0 = performance.now();
  action();
  await done;
  return { ms: Math.round(performance.now() - t0), items: lastFetched };
}

const mountStart = performance.now();
const firstRender = nextRender();
createApp({
  render: () =>
    h(CalendarBoard, {
      ref: board,
      source,
      timeZone: 'UTC',
      colorScheme: 'light',
      revision: 0,
      initialView: 'dayGridMonth',
      initialDate: '2026-12-10',
      onRendered: () => renderedResolve?.(),
    }),
}).mount('#app');

const api = () => board.value?.api();
(window as unknown as { bench: unknown }).bench = {
  firstMonth: firstRender.then(() => ({ ms: Math.round(performance.now() - mountStart), items: lastFetched })),
  week: () => timed(() => api()?.changeView('timeGridWeek', '2027-01-13')),
  month: () => timed(() => api()?.changeView('dayGridMonth', '2027-01-13')),
  next: () => timed(() => api()?.next()),
  prev: () => timed(() => api()?.prev()),
  eventCount: () => document.querySelectorAll('.cad-event').length,
};
