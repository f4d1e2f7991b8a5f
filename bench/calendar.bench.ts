/**
 * Calendar rendering in Chromium at 1,000 / 5,000 / 10,000 items per month in range: first
 * month render, month ↔ week switches and period navigation. Twice: the renderer's real
 * CalendarBoard on a bench page (FullCalendar v7, app options, bridge output validation), and
 * the whole app through the web host with a seeded data dir. Target: month view at 10,000
 * items ≤ 800 ms.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { chromium } from '@playwright/test';
import { build } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config';
import { BridgeSocket } from '../e2e/support/app';
import { startWebHostProcess, tempDataDir } from '../e2e/support/processes';

const pageRoot = fileURLToPath(new URL('./calendar-page', import.meta.url));
const SIZES = [1000, 5000, 10000];
const RUNS = 3;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` });
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

interface Timing {
  ms: number;
  items: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const PLATFORMS = ['youtube', 'tiktok', 'instagram', 'linkedin'];

/** Months of 2027 seeded with n items each; the months between stay empty so ranges do not overlap. */
const SEEDED = [
  { n: 1000, month: 0 },
  { n: 5000, month: 2 },
  { n: 10000, month: 4 },
];

/**
 * The whole app: a web host with a seeded data dir (schedules created through the bridge, so
 * the engine stores them and the main process caches them), Chromium on the real renderer, and
 * the calendar navigated to each seeded month. Includes calendar.range in the main process, the
 * socket and the renderer's validation.
 */
async function measureWebHost(browser: Awaited<ReturnType<typeof chromium.launch>>): Promise<Record<string, unknown>> {
  const data = tempDataDir();
  const host = await startWebHostProcess({ dataDir: data.path });
  const bridge = await BridgeSocket.connect(host);
  const out: Record<string, unknown> = {};
  try {
    const seedStart = Date.now();
    let seq = 0;
    for (const { n, month } of SEEDED) {
      const start = Date.UTC(2027, month, 1);
      const span = Date.UTC(2027, month + 1, 1) - start;
      for (let chunk = 0; chunk < n / 1000; chunk++) {
        const items = Array.from({ length: 1000 }, (_, i) => {
          const k = chunk * 1000 + i;
          seq++;
          return { content_id: `seed-${seq}`, platform: PLATFORMS[seq % 4], scheduled_time: iso(start + Math.floor(((k + 0.5) / n) * span / 60_000) * 60_000) };
        });
        await bridge.value('schedules.create', { title: `Seed ${month}-${chunk}`, timezone: 'UTC', items });
      }
    }
    // Wait until the main process's cache holds everything (calendar.range reads the cache).
    for (;;) {
      const range = await bridge.value<{ data: unknown[] }>('calendar.range', { from: '2027-05-01T00:00:00Z', to: '2027-06-01T00:00:00Z' });
      if (range.data.length >= 10000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    out.seed_ms = Date.now() - seedStart;

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' });
    await page.goto(host.launchUrl);
    await page.waitForFunction(() => '__cadenceCalendar' in window);
    // A string, not a function: tsx's name helpers do not exist in the page.
    const measure = (action: string) =>
      page.evaluate(`new Promise((resolve) => {
        const api = window.__cadenceCalendar;
        const t0 = performance.now();
        let fetching = false;
        function finish() {
          api.off('loading', onLoading);
          api.off('eventsSet', onSet);
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(Math.round(performance.now() - t0))));
        }
        // Done when the range's fetch has finished and its events are set (not the stale set
        // FullCalendar shows while it fetches), then painted.
        function onLoading(isLoading) {
          if (isLoading) fetching = true;
          else setTimeout(finish, 0);
        }
        function onSet() {
          if (!fetching) setTimeout(() => { if (!fetching) finish(); }, 30);
        }
        api.on('loading', onLoading);
        api.on('eventsSet', onSet);
        ${action};
      })`) as Promise<number>;
    for (const { n, month } of SEEDED) {
      const first = `2027-${String(month + 1).padStart(2, '0')}-10`;
      const samples: Record<string, number[]> = { month_view: [], week_view: [], next_period: [], prev_period: [] };
      for (let r = 0; r < RUNS; r++) {
        // From an empty month, so every measurement fetches and lays out the full range.
        await measure(`api.changeView('dayGridMonth', '2027-12-10')`);
        samples.month_view?.push(await measure(`api.changeView('dayGridMonth', '${first}')`));
        samples.week_view?.push(await measure(`api.changeView('timeGridWeek', '${first}')`));
        samples.next_period?.push(await measure('api.next()'));
        samples.prev_period?.push(await measure('api.prev()'));
      }
      const summary: Record<string, number> = { items_in_month: n };
      for (const [name, list] of Object.entries(samples)) summary[`${name}_ms`] = median(list);
      out[`items_${n}`] = summary;
      process.stdout.write(`web host ${n}: ${JSON.stringify(summary)}\n`);
      const shots = process.env.CADENCE_BENCH_SCREENSHOTS;
      if (shots) {
        await measure(`api.changeView('dayGridMonth', '${first}')`);
        await page.screenshot({ path: join(shots, `calendar-app-month-${n}.png`) });
      }
    }
    await page.close();
  } finally {
    bridge.close();
    await host.kill();
    data.remove();
  }
  return out;
}

export default async function run(): Promise<Record<string, unknown>> {
  const outDir = mkdtempSync(join(tmpdir(), 'cadence-bench-calendar-'));
  await build({ root: pageRoot, base: './', logLevel: 'warn', plugins: [vue()], build: { outDir, emptyOutDir: true } });
  const { server, url } = await serve(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const figures: Record<string, unknown> = {
    runs_per_size: RUNS,
    viewport: '1400x900',
    statistic: 'median',
    note: 'items_N: bench page with CalendarBoard and a synthetic source (N per month; the 6-week grid holds more); web_host: the whole app through the web host with a seeded data dir',
  };
  try {
    for (const n of SIZES) {
      const samples: Record<string, Timing[]> = { month_first_render: [], week_view: [], month_view: [], next_month: [], prev_month: [] };
      let visible = 0;
      for (let r = 0; r < RUNS; r++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.goto(`${url}?n=${n}`);
        await page.waitForFunction(() => 'bench' in window);
        const take = (expr: string) => page.evaluate(expr) as Promise<Timing>;
        samples.month_first_render?.push(await take('window.bench.firstMonth'));
        samples.week_view?.push(await take('window.bench.week()'));
        samples.month_view?.push(await take('window.bench.month()'));
        samples.next_month?.push(await take('window.bench.next()'));
        samples.prev_month?.push(await take('window.bench.prev()'));
        visible = (await page.evaluate('window.bench.eventCount()')) as number;
        // Optional: look at what was measured (CADENCE_BENCH_SCREENSHOTS=dir).
        const shots = process.env.CADENCE_BENCH_SCREENSHOTS;
        if (shots && r === 0) {
          await page.screenshot({ path: join(shots, `calendar-after-${n}.png`) });
        }
        await page.close();
      }
      const summary: Record<string, unknown> = { event_elements_in_month_dom: visible };
      for (const [name, list] of Object.entries(samples)) {
        summary[`${name}_ms`] = median(list.map((t) => t.ms));
        summary[`${name}_items_in_range`] = list[0]?.items ?? 0;
      }
      figures[`items_${n}`] = summary;
      process.stdout.write(`${n}: ${JSON.stringify(summary)}\n`);
    }
    const tenK = figures.items_10000 as Record<string, number> | undefined;
    figures.target_month_10000_le_800ms = (tenK?.month_view_ms ?? Infinity) <= 800 && (tenK?.month_first_render_ms ?? Infinity) <= 800;
    const app = await measureWebHost(browser);
    figures.web_host = app;
    const appTenK = app.items_10000 as Record<string, number> | undefined;
    figures.target_month_10000_le_800ms_web_host = (appTenK?.month_view_ms ?? Infinity) <= 800;
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  return figures;
}
