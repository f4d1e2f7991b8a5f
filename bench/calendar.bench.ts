/**
 * Calendar rendering in Chromium at 1,000 / 5,000 / 10,000 items per month in range: first
 * month render, month ↔ week switches and period navigation, with the renderer's real
 * CalendarBoard (FullCalendar v7, app options, bridge output validation). Target: month view at
 * 10,000 items ≤ 800 ms.
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

export default async function run(): Promise<Record<string, unknown>> {
  const outDir = mkdtempSync(join(tmpdir(), 'cadence-bench-calendar-'));
  await build({ root: pageRoot, base: './', logLevel: 'warn', plugins: [vue()], build: { outDir, emptyOutDir: true } });
  const { server, url } = await serve(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const figures: Record<string, unknown> = { runs_per_size: RUNS, viewport: '1400x900', statistic: 'median' };
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
    figures.target_month_10000_le_800ms = tenK ? tenK.month_view_ms <= 800 && tenK.month_first_render_ms <= 800 : false;
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  return figures;
}
