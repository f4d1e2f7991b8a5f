import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Temporal } from '../../shared/time';
import { ZoneClock } from './zone-clock';

const ZONES = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kathmandu', 'UTC', 'Pacific/Chatham'];

describe('ZoneClock', () => {
  it('agrees with Temporal on weekday, hour, minute and local date around DST changes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2028-01-01T00:00:00Z') }), (zone, ms) => {
        const clock = new ZoneClock(zone);
        const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone);
        const p = clock.parts(ms);
        expect(p.weekday).toBe(z.dayOfWeek - 1);
        expect(p.hour).toBe(z.hour);
        expect(Math.floor(p.minute)).toBe(z.minute);
        expect(p.day).toBe(Math.round(Date.UTC(z.year, z.month - 1, z.day) / 86_400_000));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the instants on both sides of a transition', () => {
    const clock = new ZoneClock('Australia/Lord_Howe');
    const change = Date.parse('2026-10-03T15:30:00Z'); // 02:00 local → 02:30
    expect(clock.parts(change - 1).hour).toBe(1);
    expect(clock.parts(change).hour).toBe(2);
    expect(Math.floor(clock.parts(change).minute)).toBe(30);
  });
});
