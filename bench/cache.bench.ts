/**
 * The main process's cache (docs/cache.md):
 *   - a month-range read (calendar.range's query: 31 days, ~4,100 calendar rows) on a cache of
 *     100,000 items spread over 25 months. The headline is the cold read: the memory L1 dropped
 *     before every read, so it is SQLite's covering index plus building the rows. The warm read
 *     (L1 loaded, after a write elsewhere) is reported beside it;
 *   - applying 10,000 live events: in the cache's transactions (batches of 100, as they arrive
 *     together), and end to end from the real server's /ws (replay since 0) until the cursor is
 *     at the head;
 *   - cold open of the web host (its own process, `tsx src/main/web/cli.ts`) with 50,000 cached
 *     items until the bridge answers the first calendar.range.
 * Targets: month read < 5 ms median; 10,000 events < 1 s. Measures only; never asserts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { ServerEvent } from '../src/shared/api/events';
import type { Item } from '../src/shared/api/resources';
import { CacheStore } from '../src/main/services/cache/cache-store';
import { openCacheDatabase } from '../src/main/services/cache/database';
import { ConnectionManager } from '../src/main/services/connection/connection-manager';
import { HttpClient } from '../src/main/services/api-client/http-client';
import { SchedulingApi } from '../src/main/services/api-client/scheduling-api';
import { OutboxStore } from '../src/main/services/outbox/outbox';
import { SyncService } from '../src/main/services/sync/sync-service';
import { startApiServer } from '../src/main/testing/api-server';

const root = fileURLToPath(new URL('..', import.meta.url));
const DAY = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00Z');
const SPAN_DAYS = 25 * 30;
const PLATFORMS = ['youtube', 'tiktok', 'instagram', 'linkedin'] as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(3));
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.floor(sorted.length * 0.95)] ?? 0).toFixed(3));
}

function makeItem(i: number, schedules: number): Item {
  const at = new Date(START + Math.floor((i / 100_000) * SPAN_DAYS * DAY) + (i % 24) * 3_600_000).toISOString();
  return {
    id: `itm_${String(i).padStart(7, '0')}`,
    schedule_id: `sch_${i % schedules}`,
    content_id: `content-${i}`,
    platform: PLATFORMS[i % 4] as Item['platform'],
    channel: PLATFORMS[i % 4] as string,
    scheduled_time: at.replace('.000Z', 'Z'),
    status: 'scheduled',
    metadata: { title: `Post number ${i}`, tags: ['launch', 'q1'] },
    callbacks: {},
    attempts: 0,
    published_at: null,
    failure_reason: null,
    version: 1,
    updated_at: at,
  };
}

function fillCache(dir: string, count: number, schedules = 20): CacheStore {
  const opened = openCacheDatabase(dir);
  const cache = new CacheStore(opened.db, opened.problem);
  cache.write(() => {
    for (let s = 0; s < schedules; s++) {
      cache.putSchedule({
        id: `sch_${s}`,
        title: `Schedule ${s}`,
        timezone: 'UTC',
        status: 'active',
        processing_deadline_ms: 10_800_000,
        version: 1,
        item_count: Math.ceil(count / schedules),
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      });
    }
    for (let i = 0; i < count; i++) cache.putItem(makeItem(i, schedules));
  });
  return cache;
}

async function monthRead(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'cadence-bench-cache-'));
  try {
    const fillStarted = performance.now();
    const cache = fillCache(dir, 100_000);
    const fillMs = performance.now() - fillStarted;
    const sqlite: number[] = [];
    const sqliteCpu: number[] = [];
    const l1: number[] = [];
    let rows = 0;
    for (let round = 0; round < 3; round++) {
      for (let month = 0; month < 24; month++) {
        const from = START + month * 30 * DAY;
        // Cold: the L1 is dropped, so this is SQLite's index read + building the month's rows.
        cache.clearMemory();
        const cpu = process.cpuUsage();
        let started = performance.now();
        const result = cache.range(from, from + 31 * DAY);
        sqlite.push(performance.now() - started);
        const used = process.cpuUsage(cpu);
        sqliteCpu.push((used.user + used.system) / 1000);
        rows = result.length;
        // Warm, as the calendar re-reads after a live event elsewhere in the calendar.
        cache.write(() => cache.putItem(makeItem((month * 4001 + 7) % 100_000, 20)));
        started = performance.now();
        cache.range(from, from + 31 * DAY);
        l1.push(performance.now() - started);
      }
    }
    cache.db.close();
    return {
      items: 100_000,
      items_per_month_read: rows,
      reads: sqlite.length,
      fill_ms: Math.round(fillMs),
      target_median_ms: 5,
      // The target is judged on the cold figure.
      cold_sqlite_median_ms: median(sqlite),
      cold_sqlite_p95_ms: p95(sqlite),
      cold_meets_target: median(sqlite) < 5,
      // CPU time of this process during the cold read: our work, without the waits for a core
      // that a loaded machine adds to the wall time (all threads, so GC helpers count too).
      cold_sqlite_cpu_median_ms: median(sqliteCpu),
      warm_l1_after_a_write_median_ms: median(l1),
      warm_l1_p95_ms: p95(l1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function applyEvents(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'cadence-bench-events-'));
  try {
    const cache = fillCache(dir, 10_000, 10);
    const events: ServerEvent[] = [];
    for (let seq = 1; seq <= 10_000; seq++) {
      const item = makeItem(seq % 10_000, 10);
      const kind = seq % 3;
      events.push({
        seq,
        type: kind === 0 ? 'item.created' : kind === 1 ? 'item.rescheduled' : 'item.status_changed',
        schedule_id: item.schedule_id,
        occurred_at: new Date().toISOString(),
        data: { ...item, id: kind === 0 ? `new_${seq}` : item.id, version: 2 + seq, status: kind === 2 ? 'processing' : 'scheduled' },
      });
    }
    const started = performance.now();
    for (let i = 0; i < events.length; i += 100) cache.write(() => cache.applyEvents(events.slice(i, i + 100)));
    const batchedMs = performance.now() - started;
    cache.db.close();
    return { events: 10_000, in_batches_of_100_ms: Math.round(batchedMs), target_ms: 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function liveEndToEnd(): Promise<Record<string, unknown>> {
  const api = await startApiServer();
  const dir = mkdtempSync(join(tmpdir(), 'cadence-bench-live-'));
  try {
    // A schedule holds at most 5,000 items: three schedules, 10,000 item.created events.
    const scheduleIds: string[] = [];
    for (let s = 0; s < 3; s++) {
      const created = await api.send<{ id: string }>('POST', '/api/v1/scheduling/calendar', {
        title: `bench ${s}`,
        items: [{ content_id: `seed-${s}`, platform: 'tiktok', scheduled_time: '2030-01-01T00:00:00Z' }],
      });
      scheduleIds.push(created.body.id);
    }
    for (let batch = 0; batch < 10; batch++) {
      const items = Array.from({ length: 1000 }, (_, i) => ({
        content_id: `b${batch}-${i}`,
        platform: PLATFORMS[i % 4],
        scheduled_time: new Date(Date.parse('2030-01-02T00:00:00Z') + (batch * 1000 + i) * 600_000).toISOString(),
      }));
      const response = await api.send('POST', `/api/v1/scheduling/calendar/${scheduleIds[Math.floor(batch / 4)]}/items`, items);
      if (response.status !== 201) throw new Error(`seeding failed: ${response.status} ${JSON.stringify(response.body)}`);
    }
    const head = 10_003;
    const opened = openCacheDatabase(dir);
    const cache = new CacheStore(opened.db, opened.problem);
    const outbox = new OutboxStore(cache);
    let live = false;
    const sync = new SyncService({
      cache,
      outbox,
      clock: { now: () => Date.now() },
      emit: (event, payload) => {
        if (event === 'sync.status' && (payload as { live: string }).live === 'live') live = true;
      },
    });
    const started = performance.now();
    sync.setTarget({
      api: new SchedulingApi(new HttpClient({ baseUrl: api.url, apiKey: api.apiKey, clock: { now: () => Date.now() } })),
      wsUrl: `${api.url.replace('http', 'ws')}/ws`,
      wsToken: async () => api.apiKey,
    });
    // Only the live path: mark the cache as synced so start() does a (cheap) delta, not a full load.
    cache.write(() => cache.setMeta('last_synced_at', new Date().toISOString()));
    sync.start();
    while (cache.cursor < head) await new Promise((resolve) => setTimeout(resolve, 5));
    const ms = performance.now() - started;
    await sync.stop();
    cache.db.close();
    return { events: head, replay_over_ws_until_applied_ms: Math.round(ms), went_live: live };
  } finally {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function coldOpen(): Promise<Record<string, unknown>> {
  const api = await startApiServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-bench-open-'));
  const rendererDir = join(dataDir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Cadence</title>');
  try {
    const cache = fillCache(join(dataDir, 'cache'), 50_000);
    // The cache belongs to this server and key, so the host keeps it.
    cache.write(() => {
      cache.setMeta('identity', ConnectionManager.identity({ mode: 'remote', baseUrl: api.url, apiKey: api.apiKey, signingSecret: null }));
      cache.setMeta('last_synced_at', new Date().toISOString());
    });
    cache.db.close();
    // In-process first: the host's own work (open the cache, build services, serve) without
    // Node/tsx start-up.
    const inProcess = await (async () => {
      const t0 = performance.now();
      const { createCore } = await import('../src/main/core');
      const { startWebHost } = await import('../src/main/web/web-host');
      const { webHostPorts } = await import('../src/main/web/web-ports');
      const t1 = performance.now();
      let core: Awaited<ReturnType<typeof createCore>> | null = null;
      core = createCore({
        host: 'web',
        version: 'bench',
        dataDir,
        ports: webHostPorts(dataDir, () => core?.events ?? null),
        connection: { mode: 'remote', apiUrl: api.url, apiKey: api.apiKey },
        openExternal: async () => false,
      });
      await core.start();
      const host = await startWebHost({ core, rendererDir, port: 0 });
      const answer = await core.dispatcher.dispatch('calendar.range', { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' });
      const t2 = performance.now();
      // The whole bridge call for a month (input check, cache read, output check against the
      // contract), L1 dropped before each: what the renderer waits for, beside the cache's share.
      const bridgeCold: number[] = [];
      const bridgeWarm: number[] = [];
      let rows = 0;
      // 50,000 items fill the first 12 of the 25 months (~4,100 per 31 days, as above).
      for (let round = 0; round < 4; round++) {
        for (let month = 0; month < 12; month++) {
          const from = new Date(START + month * 30 * DAY).toISOString();
          const to = new Date(START + month * 30 * DAY + 31 * DAY).toISOString();
          core.services.cache.clearMemory();
          let started = performance.now();
          const result = await core.dispatcher.dispatch('calendar.range', { from, to });
          bridgeCold.push(performance.now() - started);
          if (result.ok) rows = Math.max(rows, (result.value as { data: unknown[] }).data.length);
          started = performance.now();
          await core.dispatcher.dispatch('calendar.range', { from, to });
          bridgeWarm.push(performance.now() - started);
        }
      }
      await host.close();
      await core.stop();
      return {
        import_ms: Math.round(t1 - t0),
        open_to_first_answer_ms: Math.round(t2 - t1),
        ok: answer.ok,
        bridge_month_read: { rows, cold_median_ms: median(bridgeCold), warm_median_ms: median(bridgeWarm) },
      };
    })();
    const started = performance.now();
    const proc = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/main/web/cli.ts'), '--data-dir', dataDir, '--api-url', api.url, '--api-key', api.apiKey, '--renderer-dir', rendererDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const launchUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /running at (\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      proc.on('exit', (code) => reject(new Error(`web host exited ${code}`)));
    });
    const listeningMs = performance.now() - started;
    const url = new URL(launchUrl);
    const token = url.hash.replace('#token=', '');
    const socket = new WebSocket(`ws://${url.host}/bridge?token=${encodeURIComponent(token)}`, { origin: url.origin });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const answered = new Promise<{ count: number }>((resolve) => {
      socket.on('message', (raw) => {
        const message = JSON.parse(raw.toString()) as { kind: string; id?: number; result?: { ok: boolean; value?: { data: unknown[] } } };
        if (message.kind === 'result' && message.id === 1) resolve({ count: message.result?.value?.data.length ?? -1 });
      });
    });
    socket.send(JSON.stringify({ kind: 'call', id: 1, method: 'calendar.range', input: { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' } }));
    const { count } = await answered;
    const firstAnswerMs = performance.now() - started;
    socket.close();
    proc.kill('SIGTERM');
    await new Promise((resolve) => proc.once('exit', resolve));
    return {
      cached_items: 50_000,
      process_start_to_listening_ms: Math.round(listeningMs),
      process_start_to_first_calendar_answer_ms: Math.round(firstAnswerMs),
      items_in_first_answer: count,
      note: 'process figures include Node + tsx start-up and TypeScript transpilation of the host',
      in_process: inProcess,
    };
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<Record<string, unknown>> {
  return {
    // Shared 2-core machine: other people's test runs inflate every figure; this says how much.
    load_average_at_start: os.loadavg().map((l) => Number(l.toFixed(2))),
    month_range_read: await monthRead(),
    apply_10k_events: await applyEvents(),
    live_10k_events_end_to_end: await liveEndToEnd(),
    cold_open_web_host_50k: await coldOpen(),
  };
}
