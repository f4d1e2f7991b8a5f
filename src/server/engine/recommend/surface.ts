/**
 * The smooth 7×24 prior surface built from the study rows: a generic waking-hours rhythm plus
 * each study's peaks, pushed down on the studies' worst days, then smoothed around the week
 * (a ring of 168 hours, so Sunday 23:00 neighbours Monday 00:00) and scaled to 0..1.
 */
import type { Platform } from '../../../shared/api';
import { PRIOR_ROWS, type PriorRow, WORST_DAYS } from './priors';

export const HOURS_PER_WEEK = 168;

const cache = new Map<string, Float64Array>();

/** Gaussian smoothing around the 168-hour ring. */
export function smoothRing(values: Float64Array, sigmaHours: number): Float64Array {
  const radius = Math.max(1, Math.ceil(sigmaHours * 3));
  const kernel: number[] = [];
  let total = 0;
  for (let d = -radius; d <= radius; d++) {
    const k = Math.exp(-(d * d) / (2 * sigmaHours * sigmaHours));
    kernel.push(k);
    total += k;
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let acc = 0;
    for (let d = -radius; d <= radius; d++) {
      acc += (kernel[d + radius] ?? 0) * (values[(i + d + values.length) % values.length] ?? 0);
    }
    out[i] = acc / total;
  }
  return out;
}

/**
 * Where one study row lands on the audience's local week: [cell, weight] pairs. A row published
 * in a fixed offset is moved by the difference to the audience's offset; a fractional shift
 * (zones at :30 or :45) splits the weight between two neighbouring cells.
 */
export function rowCells(row: PriorRow, audienceOffsetMinutes: number): Array<[number, number]> {
  const shiftHours = row.utcOffsetMinutes === undefined ? 0 : (audienceOffsetMinutes - row.utcOffsetMinutes) / 60;
  const out: Array<[number, number]> = [];
  for (const day of row.days) {
    for (let hour = row.from; hour < row.to; hour++) {
      const at = day * 24 + hour + shiftHours;
      const lo = Math.floor(at);
      const frac = at - lo;
      const a = ((lo % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
      out.push([a, row.weight * (1 - frac)]);
      if (frac > 0) out.push([(a + 1) % HOURS_PER_WEEK, row.weight * frac]);
    }
  }
  return out;
}

/**
 * The prior for `platform` as seen by an audience whose zone is at `audienceOffsetMinutes`
 * (only rows published in a fixed offset, like Sprout 2021's CST, depend on it).
 */
export function priorSurface(platform: Platform, audienceOffsetMinutes: number): Float64Array {
  const key = `${platform}:${audienceOffsetMinutes}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const raw = new Float64Array(HOURS_PER_WEEK);
  for (let cell = 0; cell < HOURS_PER_WEEK; cell++) {
    const hour = cell % 24;
    // People sleep: engagement follows a broad daytime hump even where no study speaks.
    raw[cell] = 0.1 + 0.35 * Math.exp(-((hour - 14.5) ** 2) / (2 * 4.5 * 4.5));
  }
  for (const row of PRIOR_ROWS) {
    if (row.platform !== platform) continue;
    for (const [cell, weight] of rowCells(row, audienceOffsetMinutes)) raw[cell] = (raw[cell] ?? 0) + 0.5 * weight;
  }
  for (const worst of WORST_DAYS) {
    if (worst.platform !== platform) continue;
    for (let hour = 0; hour < 24; hour++) {
      const cell = worst.day * 24 + hour;
      raw[cell] = (raw[cell] ?? 0) * 0.6;
    }
  }
  const smooth = smoothRing(raw, 1);
  let max = 0;
  for (const v of smooth) max = Math.max(max, v);
  for (let i = 0; i < smooth.length; i++) smooth[i] = Math.min(1, Math.max(0, (smooth[i] ?? 0) / max));
  cache.set(key, smooth);
  return smooth;
}
