/**
 * Independent check of a proposed schedule for the engine's tests (its own code path: Temporal
 * local days and pairwise spacing, nothing shared with the optimizer's internals).
 */
import type { Constraints } from '../../../shared/api';
import { Temporal, localDayKey } from '../../../shared/time';
import type { OptimizeInput, OptimizeOutput } from '../types';

const MIN = 60_000;

/** Every constraint holds for every item the optimizer was free to place; returns what does not. */
export function checkSchedule(input: OptimizeInput, out: OptimizeOutput): string[] {
  const problems: string[] = [];
  const c: Constraints = input.constraints;
  const locked = new Set(c.locked_content_ids ?? []);
  const moved = new Map(out.changes.map((ch) => [ch.item_id, Date.parse(ch.proposed_time)]));
  const active = input.items.filter((i) => ['scheduled', 'processing', 'published'].includes(i.status));
  const placed = active.map((item) => {
    const cur = Date.parse(item.scheduled_time);
    const free = item.status === 'scheduled' && !locked.has(item.content_id) && cur > input.now;
    if (!free && moved.has(item.id)) problems.push(`fixed item ${item.id} was moved`);
    return { item, at: moved.get(item.id) ?? cur, cur, free, channel: item.channel || item.platform };
  });
  const spacing = (c.min_spacing_minutes ?? 60) * MIN;
  for (const p of placed) {
    if (!p.free) continue;
    if (c.earliest && p.at < Date.parse(c.earliest)) problems.push(`${p.item.id} before earliest`);
    if (c.latest && p.at > Date.parse(c.latest)) problems.push(`${p.item.id} after latest`);
    if (p.at < input.now) problems.push(`${p.item.id} in the past`);
    if (c.max_shift_minutes !== undefined && Math.abs(p.at - p.cur) > c.max_shift_minutes * MIN) problems.push(`${p.item.id} shifted too far`);
    for (const b of c.blackout ?? []) {
      if ((!b.platforms || b.platforms.includes(p.item.platform)) && p.at >= Date.parse(b.start) && p.at < Date.parse(b.end)) {
        problems.push(`${p.item.id} inside a blackout`);
      }
    }
    for (const q of placed) {
      if (q === p || q.channel !== p.channel) continue;
      if (Math.abs(q.at - p.at) < spacing) problems.push(`${p.item.id} and ${q.item.id} closer than the spacing`);
    }
  }
  if (c.max_per_day !== undefined) {
    const days = new Map<string, typeof placed>();
    for (const p of placed) {
      const key = `${p.channel}|${localDayKey(Temporal.Instant.fromEpochMilliseconds(p.at), input.timezone)}`;
      days.set(key, [...(days.get(key) ?? []), p]);
    }
    for (const [key, list] of days) {
      if (list.length > c.max_per_day && list.some((p) => p.free)) problems.push(`${key} holds ${list.length} > ${c.max_per_day}`);
    }
  }
  return problems;
}

