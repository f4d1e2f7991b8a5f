import { describe, expect, it } from 'vitest';
import { Temporal, dstGapProblem, isValidTimeZone, localDayKey, localDaysBetween, localToInstant, parseOffsetInstant, weekdayHour } from './time';

describe('parseOffsetInstant', () => {
  it('accepts RFC 3339 with Z or an offset', () => {
    expect(parseOffsetInstant('2026-12-01T18:00:00Z').instant?.toString()).toBe('2026-12-01T18:00:00Z');
    expect(parseOffsetInstant('2026-12-01T18:00:00+01:00').instant?.toString()).toBe('2026-12-01T17:00:00Z');
  });
  it('rejects a time without an offset, saying so', () => {
    expect(parseOffsetInstant('2026-12-01T18:00:00').error).toMatch(/no offset/);
  });
  it('rejects garbage and impossible dates', () => {
    expect(parseOffsetInstant('tomorrow').error).toBeDefined();
    expect(parseOffsetInstant('2026-02-30T10:00:00Z').error).toBeDefined();
  });
});

describe('time zones', () => {
  it('knows IANA names and refuses others', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('+05:00')).toBe(false);
  });
});

describe('DST gaps are rejected, never shifted', () => {
  it('flags a New York wall time in the spring-forward gap', () => {
    expect(dstGapProblem('2026-03-08T02:30:00-05:00', 'America/New_York')).toMatch(/does not exist/);
    expect(dstGapProblem('2026-03-08T02:30:00-04:00', 'America/New_York')).toMatch(/does not exist/);
  });
  it('lets UTC and foreign-offset instants through', () => {
    expect(dstGapProblem('2026-03-08T02:30:00Z', 'America/New_York')).toBeUndefined();
    expect(dstGapProblem('2026-03-08T02:30:00+01:00', 'America/New_York')).toBeUndefined();
    expect(dstGapProblem('2026-03-08T03:30:00-04:00', 'America/New_York')).toBeUndefined();
  });
  it('localToInstant refuses a gap and resolves an overlap explicitly', () => {
    expect(localToInstant('2026-03-29T01:30', 'Europe/London').error).toMatch(/does not exist/);
    const earlier = localToInstant('2026-10-25T01:30', 'Europe/London', 'earlier');
    const later = localToInstant('2026-10-25T01:30', 'Europe/London', 'later');
    expect(earlier.ambiguous).toBe(true);
    expect(earlier.instant?.toString()).toBe('2026-10-25T00:30:00Z');
    expect(later.instant?.toString()).toBe('2026-10-25T01:30:00Z');
  });
});

describe('local days', () => {
  it('are 23 and 25 hours long across DST changes, 23.5 on Lord Howe', () => {
    const ny = localDaysBetween(Temporal.Instant.from('2026-03-07T12:00:00Z'), Temporal.Instant.from('2026-03-09T12:00:00Z'), 'America/New_York');
    expect(ny.map((d) => [d.date, d.hours])).toEqual([
      ['2026-03-07', 24],
      ['2026-03-08', 23],
      ['2026-03-09', 24],
    ]);
    const london = localDaysBetween(Temporal.Instant.from('2026-10-25T00:00:00Z'), Temporal.Instant.from('2026-10-25T12:00:00Z'), 'Europe/London');
    expect(london[0]?.hours).toBe(25);
    const lordHowe = localDaysBetween(Temporal.Instant.from('2026-04-04T14:00:00Z'), Temporal.Instant.from('2026-04-05T12:00:00Z'), 'Australia/Lord_Howe');
    expect(lordHowe.find((d) => d.date === '2026-04-05')?.hours).toBe(24.5);
  });
  it('day keys and weekday/hour are read in the local zone', () => {
    const instant = Temporal.Instant.from('2026-12-01T03:00:00Z');
    expect(localDayKey(instant, 'America/Los_Angeles')).toBe('2026-11-30');
    expect(weekdayHour(instant, 'America/Los_Angeles')).toEqual({ weekday: 0, hour: 19 });
  });
});
