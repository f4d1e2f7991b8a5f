/**
 * metrics.previewCsv / importCsv: a CSV of past posts (RFC 4180 quoting), one observation per
 * row, each validated with the shared MetricObservationSchema. Errors name the column.
 * published_at may carry an offset, or be a local time read in the `timezone` column's zone
 * (else the user's zone); a local time that does not exist there (DST gap) is a row error.
 */
import { z } from 'zod';
import { MetricObservationSchema, type MetricObservation } from '../../../shared/api/resources';
import type { CsvPreviewSchema } from '../../../shared/bridge';
import { dstGapProblem, formatInstant, isValidTimeZone, localToInstant } from '../../../shared/time';

export const REQUIRED_COLUMNS = ['content_id', 'platform', 'published_at', 'impressions', 'engagements'] as const;
const OPTIONAL_COLUMNS = ['channel', 'timezone'] as const;

type Preview = z.infer<typeof CsvPreviewSchema>;

/** Splits CSV text into rows of fields, honouring quotes, escaped quotes and CRLF. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let field = '';
  let fields: string[] = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f.trim() !== '')) rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      line++;
      rowLine = line;
    } else field += c;
  }
  fields.push(field);
  if (fields.some((f) => f.trim() !== '')) rows.push({ line: rowLine, fields });
  return rows;
}

const HAS_OFFSET = /(Z|z|[+-]\d{2}:\d{2})$/;

function toNumber(raw: string): number | string {
  const trimmed = raw.trim().replace(/_/g, '');
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
}

export function previewCsv(text: string, defaultZone: string): Preview {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) {
    return { rows: [{ line: 1, ok: false, errors: [{ field: '(file)', message: 'the file is empty; expected a header row' }] }], validCount: 0, invalidCount: 1 };
  }
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    return {
      rows: [{ line: header.line, ok: false, errors: missing.map((c) => ({ field: c, message: `the header has no ${c} column (expected ${REQUIRED_COLUMNS.join(', ')})` })) }],
      validCount: 0,
      invalidCount: 1,
    };
  }
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
  const report: Preview['rows'] = rows.map(({ line, fields }) => {
    const errors: Array<{ field: string; message: string }> = [];
    const value = (name: string) => {
      const index = columns.indexOf(name);
      return index >= 0 ? (fields[index] ?? '').trim() : '';
    };
    if (fields.length > columns.length) errors.push({ field: '(row)', message: `${fields.length} fields but the header has ${columns.length}` });
    const zone = value('timezone') || defaultZone;
    if (value('timezone') && !isValidTimeZone(zone)) errors.push({ field: 'timezone', message: `unknown time zone ${JSON.stringify(zone)}` });
    let published = value('published_at');
    if (published && isValidTimeZone(zone)) {
      if (!HAS_OFFSET.test(published)) {
        const resolved = localToInstant(published.replace(' ', 'T'), zone);
        if (resolved.error) errors.push({ field: 'published_at', message: resolved.error });
        else if (resolved.instant) published = formatInstant(resolved.instant);
      } else {
        const gap = dstGapProblem(published, zone);
        if (gap) errors.push({ field: 'published_at', message: gap });
      }
    }
    const candidate: Record<string, unknown> = {
      content_id: value('content_id'),
      platform: value('platform').toLowerCase(),
      published_at: published,
      impressions: toNumber(value('impressions')),
      engagements: toNumber(value('engagements')),
    };
    if (value('channel')) candidate.channel = value('channel');
    const parsed = MetricObservationSchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? '(row)');
        if (!errors.some((e) => e.field === field)) errors.push({ field, message: issue.message });
      }
    }
    if (errors.length > 0 || !parsed.success) return { line, ok: false, errors };
    const observation = parsed.data as MetricObservation;
    return {
      line,
      ok: true,
      errors: [],
      observation: {
        content_id: observation.content_id,
        platform: observation.platform,
        published_at: observation.published_at,
        impressions: observation.impressions,
        engagements: observation.engagements,
      },
    };
  });
  void known;
  const validCount = report.filter((r) => r.ok).length;
  return { rows: report, validCount, invalidCount: report.length - validCount };
}
