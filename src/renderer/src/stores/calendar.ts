/**
 * The calendar's data: items by visible range (calendar.range), and the reschedule flow
 * (items.check → violations shown → items.reschedule, with Undo). Items are kept out of Vue's
 * reactivity: thousands of them go straight to FullCalendar.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Violation } from '../../../shared/api/resources';
import type { BridgeError, CalendarEvent } from '../../../shared/bridge';
import { bridge } from '../bridge/client';
import { formatDateTime } from '../lib/format';
import { useActivityStore } from './activity';
import type { Freshness } from './schedules';

export interface ProposedMove {
  item: CalendarEvent;
  to: string;
  violations: Violation[];
  decide: (force: boolean | null) => void;
}

export type MoveOutcome = { moved: true; queued: boolean } | { moved: false; reason: 'cancelled' | 'error'; error?: BridgeError };

export const useCalendarStore = defineStore('calendar', () => {
  /** Bumped when cached items changed: the calendar refetches its visible range. */
  const revision = ref(0);
  const freshness = ref<Freshness | null>(null);
  const error = ref<BridgeError | null>(null);
  const proposal = shallowRef<ProposedMove | null>(null);
  const selected = shallowRef<CalendarEvent | null>(null);
  const lastCount = ref(0);
  /** A date another view asks the calendar to show (e.g. a post just scheduled). */
  const focusDate = ref<string | null>(null);
  let started = false;

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('data.changed', (change) => {
      if (change.scopes.includes('items') || change.scopes.includes('schedules')) revision.value++;
    });
  }

  async function fetchRange(from: string, to: string): Promise<CalendarEvent[]> {
    const result = await bridge().call('calendar.range', { from, to });
    if (!result.ok) {
      error.value = result.error;
      return [];
    }
    error.value = null;
    freshness.value = { fetchedAt: result.value.fetchedAt, stale: result.value.stale, source: result.value.source };
    lastCount.value = result.value.data.length;
    const open = selected.value;
    if (open) {
      const current = result.value.data.find((i) => i.id === open.id);
      const t = Date.parse(open.scheduled_time);
      // Gone from a range that covers it (cancelled or deleted): the details panel closes.
      if (current) selected.value = current;
      else if (t >= Date.parse(from) && t < Date.parse(to)) selected.value = null;
    }
    return result.value.data;
  }

  /** Asks the user when the check finds violations; null = they cancelled. */
  function confirm(item: CalendarEvent, to: string, violations: Violation[]): Promise<boolean | null> {
    return new Promise((resolve) => {
      proposal.value = {
        item,
        to,
        violations,
        decide: (force) => {
          proposal.value = null;
          resolve(force);
        },
      };
    });
  }

  async function reschedule(item: CalendarEvent, to: string, force: boolean) {
    return bridge().call('items.reschedule', {
      scheduleId: item.schedule_id,
      itemId: item.id,
      scheduledTime: to,
      expectedVersion: item.version,
      force,
    });
  }

  /**
   * Moves an item: checks first, shows violations before anything is committed, then commits
   * (through the outbox when offline) and offers Undo.
   */
  async function move(item: CalendarEvent, to: string, zone: string): Promise<MoveOutcome> {
    const activity = useActivityStore();
    let force = false;
    const check = await bridge().call('items.check', { scheduleId: item.schedule_id, itemId: item.id, scheduledTime: to });
    if (check.ok && check.value.violations.length > 0) {
      const decision = await confirm(item, to, check.value.violations);
      if (!decision) return { moved: false, reason: 'cancelled' };
      force = true;
    }
    // A failed check (e.g. offline) does not block: the server checks again when the change lands.
    const result = await reschedule(item, to, force);
    if (!result.ok) {
      activity.toast({ title: `Could not move ${item.content_id}`, body: result.error.message, tone: 'danger', timeoutMs: 0 });
      return { moved: false, reason: 'error', error: result.error };
    }
    const from = item.scheduled_time;
    activity.toast({
      title: result.value.queued ? `${item.content_id}: change queued` : `Moved ${item.content_id}`,
      body: `${formatDateTime(from, zone)} → ${formatDateTime(to, zone)}${result.value.queued ? ' (will sync when the engine is back)' : ''}`,
      tone: 'success',
      action: {
        label: 'Undo',
        run: async () => {
          const back = await bridge().call('items.reschedule', { scheduleId: item.schedule_id, itemId: item.id, scheduledTime: from, force: true });
          if (!back.ok) activity.toast({ title: 'Undo failed', body: back.error.message, tone: 'danger', timeoutMs: 0 });
          else revision.value++;
        },
      },
    });
    revision.value++;
    return { moved: true, queued: result.value.queued };
  }

  async function cancelItem(item: CalendarEvent) {
    const result = await bridge().call('items.cancel', { scheduleId: item.schedule_id, itemId: item.id });
    if (result.ok) revision.value++;
    return result;
  }

  return { revision, focusDate, freshness, error, proposal, selected, lastCount, start, fetchRange, move, reschedule, cancelItem };
});
