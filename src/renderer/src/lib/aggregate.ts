/**
 * Keeps a crowded calendar fluid: above a threshold, each local day (long ranges) or local hour
 * (week/day ranges) shows its first few items and one "+N more" entry standing for the rest,
 * so FullCalendar lays out a few hundred events instead of ten thousand. Buckets follow the
 * display zone's real days and hours (23/25-hour days included), computed with temporal.
 */
import type { CalendarEvent } from '../../../shared/bridge';
import { localDaysBetween, Temporal } from '../../../shared/time';

export interface Bucketed {
  shown: CalendarEvent[];
  /** One per crowded bucket: the hidden items, in time order. */
  overflow: Array<{ start: number; end: number; items: CalendarEvent[] }>;
}

export const AGGREGATE_ABOVE = 800;

function boundaries(from: Date, to: Date, zone: string): number[] {
  const start = Temporal.Instant.fromEpochMilliseconds(from.getTime());
  const end = Temporal.Instant.fromEpochMilliseconds(to.getTime());
  const days = localDaysBetween(start, end, zone);
  const long = to.getTime() - from.getTime() > 8 * 86_400_000;
  const out: number[] = [];
  for (const day of days) {
    if (long) {
      out.push(day.start.epochMilliseconds);
      continue;
    }
    let hour = day.start.toZonedDateTimeISO(zone);
    while (Temporal.Instant.compare(hour.toInstant(), day.end) < 0) {
      out.push(hour.epochMilliseconds);
      hour = hour.add({ hours: 1 });
    }
  }
  const last = days[days.length - 1];
  out.push(last ? last.end.epochMilliseconds : to.getTime());
  return out;
}

export function bucketItems(items: CalendarEvent[], from: Date, to: Date, zone: string, keep: number, threshold = AGGREGATE_ABOVE): Bucketed {
  if (items.length <= threshold) return { shown: items, overflow: [] };
  const timed = items.map((item) => ({ item, t: Date.parse(item.scheduled_time) })).sort((a, b) => a.t - b.t);
  const edges = boundaries(from, to, zone);
  const shown: CalendarEvent[] = [];
  const overflow: Bucketed['overflow'] = [];
  let b = 0;
  let inBucket = 0;
  let hidden: CalendarEvent[] = [];
  const flush = () => {
    if (hidden.length > 0) overflow.push({ start: Date.parse(hidden[0]?.scheduled_time ?? ''), end: edges[b + 1] ?? to.getTime(), items: hidden });
    hidden = [];
    inBucket = 0;
  };
  for (const { item, t } of timed) {
    while (b < edges.length - 2 && t >= (edges[b + 1] as number)) {
      flush();
      b++;
    }
    if (inBucket < keep) {
      shown.push(item);
      inBucket++;
    } else hidden.push(item);
  }
  flush();
  return { shown, overflow };
}
