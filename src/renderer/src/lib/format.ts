/**
 * Display helpers: every wall-clock rendering goes through temporal in an explicit zone, so the
 * UI never depends on the machine's zone by accident.
 */
import type { Platform } from '../../../shared/api/common';
import { Temporal, localToInstant, formatInstant } from '../../../shared/time';

export const PLATFORM_LABELS: Record<Platform, string> = {
  youtube: 'YouTube',
  tiktok: 'TikTok',
  instagram: 'Instagram',
  linkedin: 'LinkedIn',
};

/** Dark enough for white text (≥4.5:1) in both themes. */
export const PLATFORM_COLORS: Record<Platform, string> = {
  youtube: '#b91c1c',
  tiktok: '#0e7490',
  instagram: '#be185d',
  linkedin: '#1d4ed8',
};

export const STATUS_LABELS: Record<string, string> = {
  scheduled: 'Scheduled',
  processing: 'Processing',
  published: 'Published',
  failed: 'Failed',
  cancelled: 'Cancelled',
  pending: 'Pending sync',
};

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

let zones: string[] | null = null;
export function allTimeZones(): string[] {
  if (!zones) {
    const supported = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    zones = Array.from(new Set(['UTC', ...supported])).sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
  }
  return zones;
}

function zoned(iso: string, zone: string): Temporal.ZonedDateTime | null {
  try {
    return Temporal.Instant.from(iso).toZonedDateTimeISO(zone);
  } catch {
    return null;
  }
}

/** "Tue 1 Dec, 18:00" in the zone. */
export function formatDateTime(iso: string, zone: string): string {
  const z = zoned(iso, zone);
  if (!z) return iso;
  return z.toLocaleString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
}

export function formatTime(iso: string, zone: string): string {
  const z = zoned(iso, zone);
  if (!z) return iso;
  return z.toLocaleString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** "Tue 1 Dec, 18:00–19:00 (Europe/Berlin)". */
export function formatWindow(startIso: string, endIso: string, zone: string): string {
  const start = zoned(startIso, zone);
  const end = zoned(endIso, zone);
  if (!start || !end) return `${startIso} – ${endIso}`;
  const sameDay = start.toPlainDate().equals(end.toPlainDate());
  const endText = sameDay ? formatTime(endIso, zone) : formatDateTime(endIso, zone);
  return `${formatDateTime(startIso, zone)}–${endText}`;
}

/** Value for an <input type="datetime-local"> showing the instant in the zone. */
export function toLocalInput(iso: string, zone: string): string {
  const z = zoned(iso, zone);
  if (!z) return '';
  return z.toPlainDateTime().toString({ smallestUnit: 'minute' });
}

/** Wall time in a zone → wire instant, or the reason it is not a real time there (DST gap). */
export function fromLocalInput(local: string, zone: string): { iso?: string; error?: string; ambiguous?: boolean } {
  if (!local) return { error: 'choose a date and time' };
  const resolved = localToInstant(local, zone);
  if (!resolved.instant) return { error: resolved.error ?? 'not a valid time' };
  return { iso: formatInstant(resolved.instant), ambiguous: resolved.ambiguous === true };
}

export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/** "just now", "3 min ago", "2 h ago", "4 days ago". */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 45_000) return 'just now';
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min ago`;
  const hours = Math.round(min / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function clockTime(iso: string, zone: string): string {
  const z = zoned(iso, zone);
  if (!z) return iso;
  return z.toLocaleString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, day: 'numeric', month: 'short' });
}

export function basisText(basis: { kind: 'history' | 'prior' | 'blend'; sample_size: number }): string {
  const posts = `${basis.sample_size} of your post${basis.sample_size === 1 ? '' : 's'}`;
  if (basis.kind === 'history') return `based on ${posts}`;
  if (basis.kind === 'prior') return 'industry data';
  return `${posts} + industry data`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? word : many}`;
}
