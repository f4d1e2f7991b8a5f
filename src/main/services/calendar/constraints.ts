/**
 * items.check: what a drop would break, before it is committed — the past, spacing per channel
 * and the daily cap per local day in the schedule's zone. Pure: the caller passes the items
 * that share the channel (from the cache) and the platform's limits.
 */
import type { Violation } from '../../../shared/api/resources';
import type { PlatformInfo } from '../../../shared/api/resources';
import { localDayKey, toInstant } from '../../../shared/time';

export interface CheckInput {
  /** The item being moved; null for a proposed new one (not yet added). */
  itemId: string | null;
  channel: string;
  platform: PlatformInfo;
  scheduledMs: number;
  /** The schedule's zone: daily caps count local days there. */
  timezone: string;
  nowMs: number;
  /** Other live items posting to the same channel (any schedule). */
  others: Array<{ id: string; scheduledMs: number }>;
}

const COUNTED = new Set(['scheduled', 'processing', 'published']);
export const isCounted = (status: string) => COUNTED.has(status);

function hm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  return h && m ? `${h} h ${m} min` : h ? `${h} h` : `${m} min`;
}

export function checkPlacement(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  const self = input.itemId === null ? [] : [input.itemId];
  if (input.scheduledMs < input.nowMs) {
    out.push({ constraint: 'past', item_ids: self, message: 'this time is in the past; the item would be published at once' });
  }
  const spacing = input.platform.default_min_spacing_minutes;
  const tooClose = input.others.filter((o) => o.id !== input.itemId && Math.abs(o.scheduledMs - input.scheduledMs) < spacing * 60_000);
  if (spacing > 0 && tooClose.length > 0) {
    const nearest = Math.min(...tooClose.map((o) => Math.abs(o.scheduledMs - input.scheduledMs))) / 60_000;
    out.push({
      constraint: 'min_spacing_minutes',
      item_ids: [...self, ...tooClose.map((o) => o.id)],
      message: `${hm(nearest)} from another post on ${input.channel}; ${input.platform.name} posts should be at least ${hm(spacing)} apart`,
    });
  }
  const day = localDayKey(toInstant(new Date(input.scheduledMs).toISOString()), input.timezone);
  const sameDay = input.others.filter((o) => o.id !== input.itemId && localDayKey(toInstant(new Date(o.scheduledMs).toISOString()), input.timezone) === day);
  const cap = input.platform.default_max_per_day;
  if (sameDay.length + 1 > cap) {
    out.push({
      constraint: 'max_per_day',
      item_ids: [...self, ...sameDay.map((o) => o.id)],
      message: `${sameDay.length + 1} posts on ${input.channel} on ${day} (${input.timezone}); the limit is ${cap} a day`,
    });
  }
  return out;
}
