/** Engagement observations (POST /scheduling/metrics): the history recommendations learn from. */
import type { Insertable } from 'kysely';
import type { HistoryObservation } from '../engine/types';
import type { Platform } from '../../shared/api/common';
import type { Db } from './calendar';
import type { MetricObservationsTable } from './schema-api';

/** The most history one recommendation or optimization reads. */
export const HISTORY_LIMIT = 20_000;
export const HISTORY_WINDOW_MS = 400 * 24 * 3600_000;

/** Inserts, ignoring rows whose (account, content_id, platform, published_at) exists; returns how many were new. */
export async function insertObservations(db: Db, rows: Insertable<MetricObservationsTable>[]): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < rows.length; i += 200) {
    const inserted = await db
      .insertInto('metric_observations')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['account_id', 'content_id', 'platform', 'published_at_ms']).doNothing())
      .returning('id')
      .execute();
    accepted += inserted.length;
  }
  return accepted;
}

export async function loadHistory(db: Db, accountId: string, nowMs: number, platforms?: Platform[]): Promise<HistoryObservation[]> {
  let query = db
    .selectFrom('metric_observations')
    .select(['content_id', 'platform', 'channel', 'published_at', 'impressions', 'engagements'])
    .where('account_id', '=', accountId)
    .where('published_at_ms', '>=', nowMs - HISTORY_WINDOW_MS);
  if (platforms && platforms.length > 0) query = query.where('platform', 'in', platforms);
  const rows = await query.orderBy('published_at_ms', 'desc').limit(HISTORY_LIMIT).execute();
  return rows.map((row) => ({
    content_id: row.content_id,
    platform: row.platform as Platform,
    ...(row.channel ? { channel: row.channel } : {}),
    published_at: row.published_at,
    impressions: Number(row.impressions),
    engagements: Number(row.engagements),
  }));
}
