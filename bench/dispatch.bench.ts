/**
 * Dispatch timing on SQLite: 10,000 reminder items due within one minute, created through the
 * API (10 requests of 1,000), fired by the server's dispatcher with its default options, while a
 * WebSocket client follows every event. Reports how many fired, how many early (must be 0), and
 * the lateness of the processing transition (the fire) and of published_at.
 * DISPATCH_BENCH_DATABASE_URL=postgres://… runs the same on PostgreSQL (a fresh schema, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { createServer } from '../src/server/app';
import { createAccountWithKey } from '../src/server/storage/accounts';

const ITEMS = Number(process.env.DISPATCH_BENCH_ITEMS ?? 10_000);
const SPREAD_MS = 60_000;
const LEAD_MS = 8_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted.at(-1) ?? NaN, min_ms: sorted[0] ?? NaN };
}

export default async function run(): Promise<Record<string, unknown>> {
  const databaseUrl = process.env.DISPATCH_BENCH_DATABASE_URL;
  const dataDir = databaseUrl ? null : mkdtempSync(join(tmpdir(), 'cadence-dispatch-bench-'));
  const pgSchema = databaseUrl ? `bench_${randomBytes(4).toString('hex')}` : undefined;
  const server = await createServer({
    ...(dataDir ? { dataDir } : { databaseUrl, pgSchema }),
    logger: false,
    rateLimit: false,
  });
  try {
    const { apiKey, accountId } = await createAccountWithKey(server.context.storage.db);
    const url = await server.listen(0);
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    // A live subscriber: every event must arrive once, in order.
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let lastSeq = 0;
    let wsEvents = 0;
    let wsOutOfOrder = 0;
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { seq?: number };
      if (typeof message.seq !== 'number') return;
      wsEvents += 1;
      if (message.seq !== lastSeq + 1) wsOutOfOrder += 1;
      lastSeq = message.seq;
    });
    ws.send(JSON.stringify({ type: 'subscribe', schedules: ['*'], since: 0 }));

    const start = Date.now() + LEAD_MS;
    const createStarted = Date.now();
    for (let batch = 0; batch < ITEMS / 1000; batch++) {
      const items = Array.from({ length: 1000 }, (_, i) => ({
        content_id: `bench-${batch}-${i}`,
        platform: (['youtube', 'tiktok', 'instagram', 'linkedin'] as const)[i % 4],
        scheduled_time: new Date(start + Math.floor(Math.random() * SPREAD_MS)).toISOString(),
      }));
      const res = await fetch(`${url}/api/v1/scheduling/calendar`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ title: `bench ${batch}`, items }),
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    }
    const createMs = Date.now() - createStarted;
    if (Date.now() > start) throw new Error('creating the items took longer than the lead time; raise LEAD_MS');

    const db = server.context.storage.db;
    const deadline = start + SPREAD_MS + 30_000;
    for (;;) {
      const open = await db.selectFrom('items').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).where('status', 'in', ['scheduled', 'processing']).executeTakeFirstOrThrow();
      if (Number(open.n) === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 500));

    const rows = await db.selectFrom('items').select(['id', 'status', 'scheduled_at_ms', 'published_at']).where('account_id', '=', accountId).execute();
    const fired = await db
      .selectFrom('events')
      .select(['data', 'occurred_at'])
      .where('account_id', '=', accountId)
      .where('type', '=', 'item.status_changed')
      .execute();
    const fireAt = new Map<string, number>();
    for (const e of fired) {
      const data = JSON.parse(e.data) as { id: string; status: string };
      if (data.status === 'processing') fireAt.set(data.id, Date.parse(e.occurred_at));
    }
    const fireLateness: number[] = [];
    const publishLateness: number[] = [];
    let early = 0;
    let published = 0;
    for (const row of rows) {
      const due = Number(row.scheduled_at_ms);
      const firedAt = fireAt.get(row.id);
      if (firedAt !== undefined) {
        if (firedAt < due) early += 1;
        fireLateness.push(firedAt - due);
      }
      if (row.status === 'published' && row.published_at) {
        published += 1;
        const at = Date.parse(row.published_at);
        if (at < due) early += 1;
        publishLateness.push(at - due);
      }
    }
    const head = await db.selectFrom('account_event_heads').select('head_seq').where('account_id', '=', accountId).executeTakeFirst();
    ws.close();
    return {
      dialect: server.context.storage.dialect,
      items: ITEMS,
      spread_ms: SPREAD_MS,
      create_via_api_ms: createMs,
      fired: fireAt.size,
      published,
      not_final: rows.filter((r) => r.status === 'scheduled' || r.status === 'processing').length,
      early,
      fire_lateness: summary(fireLateness),
      published_lateness: summary(publishLateness),
      events_in_log: Number(head?.head_seq ?? 0),
      ws_events_received: wsEvents,
      ws_out_of_order: wsOutOfOrder,
      dispatcher: 'defaults (reminder publisher, pollMs 1000, exact wake-ups at the next due time)',
    };
  } finally {
    await server.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl && pgSchema) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${pgSchema} cascade`);
      await client.end();
    }
  }
}
