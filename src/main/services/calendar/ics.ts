/** schedules.exportIcs: an RFC 5545 VCALENDAR, text escaped (3.3.11) and lines folded at 75 octets (3.1). */
import type { Item } from '../../../shared/api/resources';

export function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/** Folds a content line so no line exceeds 75 octets, never splitting a UTF-8 character. */
export function foldLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  let limit = 75;
  for (const char of line) {
    const length = Buffer.byteLength(char, 'utf8');
    if (size + length > limit) {
      parts.push(current);
      current = '';
      size = 0;
      limit = 74; // continuation lines start with one space
    }
    current += char;
    size += length;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

function stamp(iso: string): string {
  return new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function scheduleToIcs(schedule: { id: string; title: string }, items: Item[], nowIso: string, durationMinutes = 30): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Cadence//Scheduling Dashboard//EN', 'CALSCALE:GREGORIAN', `X-WR-CALNAME:${escapeText(schedule.title)}`];
  for (const item of items) {
    if (item.status === 'cancelled') continue;
    const start = Date.parse(item.scheduled_time);
    const title = typeof item.metadata.title === 'string' ? item.metadata.title : item.content_id;
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(`${item.id}@cadence`)}`,
      `DTSTAMP:${stamp(nowIso)}`,
      `DTSTART:${stamp(new Date(start).toISOString())}`,
      `DTEND:${stamp(new Date(start + durationMinutes * 60_000).toISOString())}`,
      `SUMMARY:${escapeText(`${title} (${item.platform})`)}`,
      `DESCRIPTION:${escapeText(`Content ${item.content_id} on ${item.channel}; status ${item.status}. Schedule: ${schedule.title}`)}`,
      `CATEGORIES:${escapeText(item.platform)}`,
      `STATUS:${item.status === 'failed' ? 'CANCELLED' : 'CONFIRMED'}`,
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}

export function icsFilename(title: string): string {
  const base = title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'schedule';
  return `${base}.ics`;
}
