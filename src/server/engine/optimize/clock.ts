/**
 * Local-time lookups for the optimizer, memoized per 15-minute bucket: every zone's offset is a
 * multiple of 15 minutes, so a bucket never straddles a local hour or day boundary, and one
 * Temporal call per bucket answers for every instant in it.
 */
import { Temporal } from '../../../shared/time';

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
  constructor(readonly zone: string) {}

  at(epochMs: number): BucketInfo {
    const bucket = Math.floor(epochMs / BUCKET_MS);
    const hit = this.memo.get(bucket);
    if (hit) return hit;
    const z = Temporal.Instant.fromEpochMilliseconds(bucket * BUCKET_MS).toZonedDateTimeISO(this.zone);
    const info: BucketInfo = {
      cell: (z.dayOfWeek - 1) * 24 + z.hour,
      minute: z.minute,
      day: Math.round(Date.UTC(z.year, z.month - 1, z.day) / 86_400_000),
    };
    this.memo.set(bucket, info);
    return info;
  }

  day(epochMs: number): number {
    return this.at(epochMs).day;
  }
}

/** Model score (0..1) at an instant: the weekday×hour grid interpolated between hour centres. */
export function scoreAt(grid: Float64Array, clock: LocalClock, epochMs: number): number {
  const info = clock.at(epochMs);
  const within = (epochMs - Math.floor(epochMs / BUCKET_MS) * BUCKET_MS) / 60_000;
  const y = info.cell + (info.minute + within) / 60 - 0.5;
  const c0 = Math.floor(y);
  const f = y - c0;
  const a = grid[((c0 % 168) + 168) % 168] ?? 0;
  const b = grid[(((c0 + 1) % 168) + 168) % 168] ?? 0;
  return a * (1 - f) + b * f;
}
