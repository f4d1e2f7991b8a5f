/**
 * Local weekday/hour/day of instants in one zone, fast: the zone's offset is constant between
 * DST transitions, so the engine asks Temporal once per transition-free span (found with
 * getTimeZoneTransition) and does plain arithmetic inside it. Hundreds of history posts or
 * thousands of slots then cost a handful of Temporal calls instead of one each.
 */
import { Temporal } from '../../shared/time';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

interface Span {
  start: number;
  end: number;
  offsetMs: number;
}

export interface LocalParts {
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
  hour: number;
  /** Minute within the hour, fractional. */
  minute: number;
  /** Local calendar date as days since 1970-01-01. */
  day: number;
}

export class ZoneClock {
  private spans: Span[] = [];
  constructor(readonly zone: string) {}

  offsetMs(epochMs: number): number {
    for (const s of this.spans) if (epochMs >= s.start && epochMs < s.end) return s.offsetMs;
    const zoned = Temporal.Instant.fromEpochMilliseconds(Math.floor(epochMs)).toZonedDateTimeISO(this.zone);
    const prev = zoned.getTimeZoneTransition('previous');
    const next = zoned.getTimeZoneTransition('next');
    const span: Span = {
      start: prev ? prev.epochMilliseconds : Number.NEGATIVE_INFINITY,
      end: next ? next.epochMilliseconds : Number.POSITIVE_INFINITY,
      offsetMs: zoned.offsetNanoseconds / 1e6,
    };
    // Recent spans first: queries cluster in time.
    this.spans.unshift(span);
    if (this.spans.length > 64) this.spans.pop();
    return span.offsetMs;
  }

  parts(epochMs: number): LocalParts {
    const local = epochMs + this.offsetMs(epochMs);
    const day = Math.floor(local / DAY_MS);
    const within = local - day * DAY_MS;
    const hour = Math.floor(within / HOUR_MS);
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    return { weekday: (((day + 3) % 7) + 7) % 7, hour, minute: (within - hour * HOUR_MS) / 60_000, day };
  }

  /** weekday*24 + hour. */
  cell(epochMs: number): number {
    const p = this.parts(epochMs);
    return p.weekday * 24 + p.hour;
  }
}
