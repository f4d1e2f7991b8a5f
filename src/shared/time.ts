/**
 * Time-zone arithmetic for the server, the main process and the renderer, on temporal-polyfill.
 * Rules the whole product follows:
 *  - instants on the wire always carry an offset;
 *  - a local time inside a DST gap does not exist: it is rejected or skipped, never shifted;
 *  - an ambiguous local time (a DST overlap) is resolved explicitly by the caller;
 *  - a "day" is the local calendar day, 23 or 25 hours long where DST changes.
 */
import { Temporal } from 'temporal-polyfill';

export { Temporal };

const zoneValidity = new Map<string, boolean>();

export function isValidTimeZone(zone: string): boolean {
  const known = zoneValidity.get(zone);
  if (known !== undefined) return known;
  let valid = false;
  try {
    // Offsets like "+05:00" are valid Temporal zones but not IANA names; the contract wants names.
    if (/^[A-Za-z]/.test(zone)) {
      Temporal.Now.zonedDateTimeISO(zone);
      valid = true;
    }
  } catch {
    valid = false;
  }
  if (zoneValidity.size < 1000) zoneValidity.set(zone, valid);
  return valid;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})$/;

export interface ParsedInstant {
  instant?: Temporal.Instant;
  error?: string;
}

/** Parses an RFC 3339 timestamp that must carry `Z` or a numeric offset. */
export function parseOffsetInstant(value: string): ParsedInstant {
  if (typeof value !== 'string' || value.length > 40) return { error: 'expected an RFC 3339 time' };
  if (!RFC3339.test(value)) {
    if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
      return { error: 'time has no offset; add Z or an offset like +01:00' };
    }
    return { error: 'expected an RFC 3339 time with an offset, like 2026-12-01T18:00:00Z' };
  }
  try {
    return { instant: Temporal.Instant.from(value.replace(' ', 'T')) };
  } catch {
    return { error: 'not a real calendar time' };
  }
}

export function toInstant(value: string): Temporal.Instant {
  const parsed = parseOffsetInstant(value);
  if (!parsed.instant) throw new RangeError(parsed.error ?? 'invalid instant');
  return parsed.instant;
}

/** Canonical wire form: UTC with `Z`, whole seconds unless sub-second precision was given. */
export function formatInstant(instant: Temporal.Instant): string {
  return instant.toString({ smallestUnit: 'second' });
}

export function epochMsToIso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * If `value` is written as a wall-clock time in one of `zone`'s own offsets and that wall time
 * falls in a DST gap, returns a message saying so. Times written in UTC or a foreign offset are
 * unambiguous instants and pass.
 */
export function dstGapProblem(value: string, zone: string): string | undefined {
  const match = RFC3339.exec(value);
  if (!match || !isValidTimeZone(zone)) return undefined;
  const offset = match[8] ?? 'Z';
  if (offset === 'Z' || offset === 'z') return undefined;
  const plain = Temporal.PlainDateTime.from(value.slice(0, value.length - offset.length).replace(' ', 'T'));
  const compatible = plain.toZonedDateTime(zone, { disambiguation: 'compatible' });
  if (Temporal.PlainDateTime.compare(compatible.toPlainDateTime(), plain) === 0) return undefined;
  const before = plain.toZonedDateTime(zone, { disambiguation: 'earlier' }).offset;
  const after = plain.toZonedDateTime(zone, { disambiguation: 'later' }).offset;
  if (offset !== before && offset !== after) return undefined;
  return `local time ${plain.toString({ smallestUnit: 'minute' }).replace('T', ' ')} does not exist in ${zone} (skipped by the daylight-saving change)`;
}

export type Ambiguity = 'earlier' | 'later';

export interface LocalResolution {
  instant?: Temporal.Instant;
  /** Set when the wall time fell in a DST overlap and `ambiguity` chose one of the two. */
  ambiguous?: boolean;
  error?: string;
}

/**
 * Resolves a local wall time (`2026-03-08T02:30`) in `zone`. A wall time in a gap is an error,
 * never silently shifted; an overlap is resolved by `ambiguity`.
 */
export function localToInstant(local: string, zone: string, ambiguity: Ambiguity = 'earlier'): LocalResolution {
  if (!isValidTimeZone(zone)) return { error: `unknown time zone ${zone}` };
  let plain: Temporal.PlainDateTime;
  try {
    plain = Temporal.PlainDateTime.from(local);
  } catch {
    return { error: 'expected a local date and time like 2026-12-01T18:00' };
  }
  const earlier = plain.toZonedDateTime(zone, { disambiguation: 'earlier' });
  const later = plain.toZonedDateTime(zone, { disambiguation: 'later' });
  if (Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), plain) !== 0) {
    return {
      error: `${plain.toString({ smallestUnit: 'minute' }).replace('T', ' ')} does not exist in ${zone} (skipped by the daylight-saving change)`,
    };
  }
  const ambiguous = !earlier.toInstant().equals(later.toInstant());
  return { instant: (ambiguity === 'earlier' ? earlier : later).toInstant(), ambiguous };
}

/** Local calendar date (YYYY-MM-DD) of an instant in a zone: the unit daily caps count in. */
export function localDayKey(instant: Temporal.Instant, zone: string): string {
  return instant.toZonedDateTimeISO(zone).toPlainDate().toString();
}

/** 0 = Monday … 6 = Sunday, and the local hour 0…23: the axes of every 7×24 grid. */
export function weekdayHour(instant: Temporal.Instant, zone: string): { weekday: number; hour: number } {
  const zoned = instant.toZonedDateTimeISO(zone);
  return { weekday: zoned.dayOfWeek - 1, hour: zoned.hour };
}

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** The local days overlapping [start, end), each with its real length in hours (23, 24 or 25). */
export function localDaysBetween(
  start: Temporal.Instant,
  end: Temporal.Instant,
  zone: string,
): Array<{ date: string; start: Temporal.Instant; end: Temporal.Instant; hours: number }> {
  const days: Array<{ date: string; start: Temporal.Instant; end: Temporal.Instant; hours: number }> = [];
  let day = start.toZonedDateTimeISO(zone).startOfDay();
  while (Temporal.Instant.compare(day.toInstant(), end) < 0) {
    const next = day.add({ days: 1 }).startOfDay();
    days.push({
      date: day.toPlainDate().toString(),
      start: day.toInstant(),
      end: next.toInstant(),
      hours: day.hoursInDay,
    });
    day = next;
  }
  return days;
}
