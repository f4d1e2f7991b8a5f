/**
 * Local-time lookups for the optimizer, per 15-minute bucket: every zone's offset is a multiple
 * of 15 minutes, so a bucket never straddles a local hour or day boundary, and one lookup per
 * bucket (dense tables over the horizon, ZoneClock arithmetic elsewhere) serves every instant.
 */
import { ZoneClock } from '../zone-clock';

export const BUCKET_MS = 15 * 60_000;

export interface BucketInfo {
  /** weekday*24 + hour, Monday = 0. */
  cell: number;
  /** Local minute within the hour at the bucket's start. */
  minute: number;
  /** Local calendar day as days since 1970-01-01 (a key, not a duration). */
  day: number;
}

export class LocalClock {
  private readonly memo = new Map<number, BucketInfo>();
  /** Dense tables over a prepared range (the optimizer's horizon): plain array reads. */
  private first = 0;
  private cells = new Int32Array(0);
  private minutes = new Int32Array(0);
  private days = new Int32Array(0);
  private readonly zoneClock: ZoneClock;
  constructor(readonly zone: string) {
    this.zoneClock = new ZoneClock(zone);
  }

  /** Precomputes every bucket in [fromMs, toMs] (bounded, so a far-flung item cannot blow it up). */
  prepare(fromMs: number, toMs: number): void {
    const first = Math.floor(fromMs / BUCKET_MS);
    const count = Math.floor(toMs / BUCKET_MS) - first + 1;
    if (!(count > 0) || count > 200_000) return;
    const cells = new Int32Array(count);
    const minutes = new Int32Array(count);
    const days = new Int32Array(count);
    for (let b = 0; b < count; b++) {
      const info = this.at((first + b) * BUCKET_MS);
      cells[b] = info.cell;
      minutes[b] = info.minute;
      days[b] = info.day;
    }
    this.first = first;
    this.cells = cells;
    this.minutes = minutes;
    this.days = days;
  }

  /** Local day key of an instant (fast path for prepared ranges). */
  day(epochMs: number): number {
    const b = Math.floor(epochMs / BUCKET_MS) - this.first;
    if (b >= 0 && b < this.days.length) return this.days[b] as number;
    return this.at(epochMs).day;
  }

  /** Local cell and fractional minute-of-hour of an instant. */
  cellMinute(epochMs: number): { cell: number; minute: number } {
    const bucket = Math.floor(epochMs / BUCKET_MS);
    const b = bucket - this.first;
    const within = (epochMs - bucket * BUCKET_MS) / 60_000;
    if (b >= 0 && b < this.cells.length) return { cell: this.cells[b] as number, minute: (this.minutes[b] as number) + within };
    const info = this.at(epochMs);
    return { cell: info.cell, minute: info.minute + within };
  }

  at(epochMs: number): BucketInfo {
    const bucket = Math.floor(epochMs / BUCKET_MS);
    const hit = this.memo.get(bucket);
    if (hit) return hit;
    const p = this.zoneClock.parts(bucket * BUCKET_MS);
    const info: BucketInfo = { cell: p.weekday * 24 + p.hour, minute: Math.floor(p.minute), day: p.day };
    this.memo.set(bucket, info);
    return info;
  }
}

/** Model score (0..1) at an instant: the weekday×hour grid interpolated between hour centres. */
export function scoreAt(grid: Float64Array, clock: LocalClock, epochMs: number): number {
  const { cell, minute } = clock.cellMinute(epochMs);
  const y = cell + minute / 60 - 0.5;
  const c0 = Math.floor(y);
  const f = y - c0;
  const a = grid[((c0 % 168) + 168) % 168] ?? 0;
  const b = grid[(((c0 + 1) % 168) + 168) % 168] ?? 0;
  return a * (1 - f) + b * f;
}
