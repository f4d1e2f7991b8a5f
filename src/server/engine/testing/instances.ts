/**
 * Deterministic synthetic optimize instances, shared by the engine's tests and benches:
 * n items over `days` days on channels of four platforms, loaded to `load` of the channels'
 * daily-cap capacity, with blackouts (one for everyone, one for LinkedIn) and a few locked items.
 */
import { PLATFORMS, type Platform } from '../../../shared/api';
import type { CalendarItem, OptimizeInput } from '../types';

/** Small fast PRNG (mulberry32) so instances are reproducible from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface InstanceOptions {
  items: number;
  days?: number;
  spacingMinutes?: number;
  maxPerDay?: number;
  load?: number;
  maxShiftMinutes?: number;
  timezone?: string;
  seed?: number;
  lockedShare?: number;
  now?: number;
}

export function generateInstance(options: InstanceOptions): OptimizeInput {
  const random = rng(options.seed ?? 1);
  const days = options.days ?? 14;
  const cap = options.maxPerDay ?? 3;
  const load = options.load ?? 0.6;
  const now = options.now ?? Date.parse('2026-03-02T00:00:00Z');
  const start = now + 3600_000;
  const end = start + days * 86_400_000;
  const perChannel = Math.max(1, Math.floor(cap * days * load));
  const channels = Math.max(1, Math.ceil(options.items / perChannel));
  const items: CalendarItem[] = [];
  for (let i = 0; i < options.items; i++) {
    const c = i % channels;
    const platform = PLATFORMS[c % PLATFORMS.length] as Platform;
    // Spread each channel's items evenly with jitter, as a person planning a fortnight would.
    const slotInChannel = Math.floor(i / channels);
    const base = start + ((slotInChannel + random()) / perChannel) * (end - start - 3600_000);
    const at = Math.floor(base / 300_000) * 300_000;
    items.push({
      id: `it_${i}`,
      content_id: `content_${i}`,
      platform,
      channel: `${platform}:@acct${c}`,
      scheduled_time: new Date(at).toISOString(),
      status: 'scheduled',
    });
  }
  const lockedShare = options.lockedShare ?? 0.05;
  const locked = items.filter(() => random() < lockedShare).map((i) => i.content_id);
  return {
    items,
    timezone: options.timezone ?? 'America/New_York',
    constraints: {
      min_spacing_minutes: options.spacingMinutes ?? 120,
      max_per_day: cap,
      max_shift_minutes: options.maxShiftMinutes ?? 48 * 60,
      earliest: new Date(start).toISOString(),
      latest: new Date(end).toISOString(),
      blackout: [
        { start: new Date(start + 4 * 86_400_000).toISOString(), end: new Date(start + 4 * 86_400_000 + 6 * 3600_000).toISOString() },
        {
          start: new Date(start + 5 * 86_400_000).toISOString(),
          end: new Date(start + 5 * 86_400_000 + 12 * 3600_000).toISOString(),
          platforms: ['linkedin'],
        },
      ],
      locked_content_ids: locked,
    },
    history: [],
    now,
  };
}
