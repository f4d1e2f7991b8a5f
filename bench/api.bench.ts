/**
 * HTTP API throughput and latency on loopback (SQLite, temp data dir), with autocannon:
 *   - GET /health on a bare Fastify route (same handler, none of the API's hooks) and on the full
 *     stack (request id, auth lookup when a bearer is sent, rate limiter, metrics), anonymous
 *     and with an API key, and the full stack with its one request log line per request (as
 *     `npm run server` runs), all interleaved in 1 s slices (30 rounds) so passing load falls on
 *     each alike; the cost is reported from the totals and as the median of the rounds' paired
 *     costs, and the target is judged on both;
 *   - GET /api/v1/scheduling/recommendations (two platforms, the engine as it is today);
 *   - POST /api/v1/scheduling/calendar with one item a month ahead and a fresh Idempotency-Key per
 *     request, each create committed durably (SQLite synchronous=FULL).
 * Each variant's server runs in processes of its own (bench/support/api-server.ts), as
 * `npm run server` runs one server per process, apart from autocannon's event loop, and in
 * several of them (API_BENCH_PROCESSES, default 3), taken in turn round by round: what a request
 * costs depends on the V8 state a process settles in (docs/api.md), so one process per variant
 * made the figure a draw between processes.
 * Targets (docs/api.md): POST /calendar ≥ 500 req/s with p99 < 50 ms; the full stack on /health
 * costs ≤ 25 % of bare throughput (judged on the stack without a request log, as the embedded
 * engine runs; the logged server's cost is reported beside it). This file measures and reports;
 * it does not assert.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import autocannon, { type Options, type Result } from 'autocannon';

const DURATION_S = Number(process.env.API_BENCH_DURATION ?? 30);
const SINGLE_DURATION_S = 8;
const CONNECTIONS = Number(process.env.API_BENCH_CONNECTIONS ?? 10);
const INTERLEAVED_ROUNDS = Number(process.env.API_BENCH_ROUNDS ?? 30);
const PROCESSES_PER_VARIANT = Math.max(1, Math.floor(Number(process.env.API_BENCH_PROCESSES ?? 3)) || 3);

interface Figures {
  req_per_s: number;
  /** Interleaved variants: req/s in each round, in order (rounds pair the variants in time). */
  round_req_per_s?: number[];
  /** Interleaved variants: req/s of each of the variant's server processes over its rounds. */
  process_req_per_s?: number[];
  /** Server process CPU time per request (user + system); null where /proc is missing. */
  server_cpu_ms_per_request: number | null;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non_2xx: number;
  errors: number;
}

/** CPU time of a server process so far, in ms (Linux /proc; clock ticks are 100 Hz there). */
function serverCpuMs(serverPid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function figures(result: Result, cpuMs: number | null): Figures {
  return {
    req_per_s: Math.round(result.requests.average),
    server_cpu_ms_per_request: cpuMs === null || result.requests.total === 0 ? null : Math.round((cpuMs / result.requests.total) * 1000) / 1000,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function report(name: string, result: Figures): Figures {
  process.stdout.write(
    `${name.padEnd(28)} ${String(result.req_per_s).padStart(7)} req/s  p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  non-2xx ${result.non_2xx}  server CPU ${result.server_cpu_ms_per_request} ms/req\n`,
  );
  return result;
}

interface Variant {
  name: string;
  /** The server process answering it. */
  pid: number;
  options: Omit<Options, 'duration' | 'connections'>;
}

/** A variant served by several processes: round r goes to process r mod their number. */
interface SpreadVariant {
  name: string;
  targets: Array<Omit<Variant, 'name'>>;
}

async function measure({ name, pid, options }: Variant): Promise<Figures> {
  // A short warm-up so JIT and SQLite caches are not part of the figure.
  await autocannon({ ...options, connections: CONNECTIONS, duration: 1 });
  const cpuBefore = serverCpuMs(pid);
  const raw = await autocannon({ ...options, connections: CONNECTIONS, duration: SINGLE_DURATION_S });
  const cpuAfter = serverCpuMs(pid);
  return report(name, figures(raw, cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore));
}

/**
 * Routes compared with each other are measured in alternating slices (A B C A B C …), so load
 * from elsewhere on the machine, which comes and goes over seconds, falls on all of them alike
 * rather than on whichever ran during it. Totals over the slices; p99 is the worst slice's.
 */
async function measureInterleaved(variants: SpreadVariant[]): Promise<Figures[]> {
  for (const variant of variants) for (const target of variant.targets) await autocannon({ ...target.options, connections: CONNECTIONS, duration: 1 });
  const totals = variants.map((variant) => ({
    requests: 0,
    seconds: 0,
    cpuMs: 0 as number | null,
    p50: [] as number[],
    p99: 0,
    non2xx: 0,
    errors: 0,
    rounds: [] as number[],
    byProcess: variant.targets.map(() => ({ requests: 0, seconds: 0 })),
  }));
  for (let round = 0; round < INTERLEAVED_ROUNDS; round++) {
    // Each round starts one variant later: a slice pays for garbage and timers left by the one
    // before it, so a fixed order would favour or penalise the same variant every round.
    for (let turn = 0; turn < variants.length; turn++) {
      const index = (round + turn) % variants.length;
      const variant = variants[index]!;
      const total = totals[index]!;
      const slot = round % variant.targets.length;
      const target = variant.targets[slot]!;
      const cpuBefore = serverCpuMs(target.pid);
      const started = performance.now();
      const raw = await autocannon({ ...target.options, connections: CONNECTIONS, duration: DURATION_S / INTERLEAVED_ROUNDS });
      const seconds = (performance.now() - started) / 1000;
      total.seconds += seconds;
      total.rounds[round] = Math.round(raw.requests.total / seconds);
      total.byProcess[slot]!.requests += raw.requests.total;
      total.byProcess[slot]!.seconds += seconds;
      const cpuAfter = serverCpuMs(target.pid);
      total.cpuMs = total.cpuMs === null || cpuBefore === null || cpuAfter === null ? null : total.cpuMs + cpuAfter - cpuBefore;
      total.requests += raw.requests.total;
      total.p50.push(raw.latency.p50);
      total.p99 = Math.max(total.p99, raw.latency.p99);
      total.non2xx += raw.non2xx;
      total.errors += raw.errors + raw.timeouts;
    }
  }
  return variants.map((variant, index) => {
    const total = totals[index]!;
    const p50 = [...total.p50].sort((a, b) => a - b)[Math.floor(total.p50.length / 2)] ?? 0;
    return report(variant.name, {
      req_per_s: Math.round(total.requests / total.seconds),
      round_req_per_s: total.rounds,
      process_req_per_s: total.byProcess.map((p) => Math.round(p.requests / p.seconds)),
      server_cpu_ms_per_request: total.cpuMs === null || total.requests === 0 ? null : Math.round((total.cpuMs / total.requests) * 1000) / 1000,
      p50_ms: p50,
      p99_ms: total.p99,
      requests: total.requests,
      non_2xx: total.non2xx,
      errors: total.errors,
    });
  });
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  apiKey: string;
}

/**
 * On this 2-core machine the servers share core 0 and the load generator (this process) keeps
 * core 1: left to the scheduler, the answering server and autocannon sometimes shared a core,
 * and the same build measured 29–44 µs of CPU per bare request from one run to the next.
 */
const PINNED = process.env.API_BENCH_PIN !== '0' && os.cpus().length === 2 && spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]).status === 0;

type ServerVariant = 'bare' | 'full' | 'logged';

async function startServer(variant: ServerVariant): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./support/api-server.ts', import.meta.url));
  const args = ['--import', 'tsx', script, variant];
  const child = PINNED
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { url, apiKey } = JSON.parse(line) as { url: string; apiKey: string };
  return { child, url, apiKey };
}

export default async function run(): Promise<Record<string, unknown>> {
  // Other work on the machine skews every figure here; the load average is recorded with them.
  const loadBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const servers: ServerProcess[] = [];
  try {
    const start = async (variant: ServerVariant): Promise<ServerProcess[]> => {
      const started: ServerProcess[] = [];
      for (let i = 0; i < PROCESSES_PER_VARIANT; i++) {
        const server = await startServer(variant);
        servers.push(server);
        started.push(server);
      }
      return started;
    };
    const [bares, fulls, loggeds] = await Promise.all([start('bare'), start('full'), start('logged')]);
    const full = fulls[0]!;
    const auth = { authorization: `Bearer ${full.apiKey}` };
    const pid = (server: ServerProcess): number => server.child.pid ?? 0;
    const healthOf = (server: ServerProcess, headers?: Record<string, string>) => ({ pid: pid(server), options: { url: `${server.url}/health`, ...(headers ? { headers } : {}) } });

    const [bareHealth, fullHealth, loggedHealth, fullHealthAuth] = (await measureInterleaved([
      { name: 'bare GET /health', targets: bares.map((server) => healthOf(server)) },
      { name: 'full GET /health', targets: fulls.map((server) => healthOf(server)) },
      { name: 'full GET /health, logged', targets: loggeds.map((server) => healthOf(server)) },
      { name: 'full GET /health (API key)', targets: fulls.map((server) => healthOf(server, { authorization: `Bearer ${server.apiKey}` })) },
    ])) as [Figures, Figures, Figures, Figures];
    const recommendations = await measure({
      name: 'GET /recommendations',
      pid: pid(full),
      options: { url: `${full.url}/api/v1/scheduling/recommendations?platforms=youtube,tiktok&target_count=10`, headers: auth },
    });
    let sequence = 0;
    const runId = Date.now().toString(36);
    const createBody = JSON.stringify({
      title: 'Bench schedule',
      timezone: 'America/New_York',
      // A month ahead: an item already due would be fired by the dispatcher while the bench runs
      // (a fixed date here went into the past, and the figure became create-and-publish).
      items: [{ content_id: 'bench_video', platform: 'youtube', scheduled_time: new Date(Date.now() + 30 * 86_400_000).toISOString() }],
    });
    const postCalendar = await measure({
      name: 'POST /calendar (1 item)',
      pid: pid(full),
      options: {
        url: `${full.url}/api/v1/scheduling/calendar`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: createBody,
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': `bench_${runId}_${++sequence}` } }),
      },
    });

    const cost = (full: Figures) => Math.round((1 - full.req_per_s / bareHealth.req_per_s) * 1000) / 10;
    // The same cost round by round (each round's slices are adjacent in time, so load from
    // elsewhere falls on both alike), then the median round: robust to a round that met a burst.
    const pairedCost = (full: Figures) => {
      const rounds = (full.round_req_per_s ?? []).map((rps, round) => 1 - rps / (bareHealth.round_req_per_s?.[round] ?? Number.NaN)).sort((a, b) => a - b);
      const median = rounds.length % 2 ? rounds[(rounds.length - 1) / 2]! : ((rounds[rounds.length / 2 - 1] ?? 0) + (rounds[rounds.length / 2] ?? 0)) / 2;
      return { median_pct: Math.round(median * 1000) / 10, min_pct: Math.round((rounds[0] ?? 0) * 1000) / 10, max_pct: Math.round((rounds.at(-1) ?? 0) * 1000) / 10 };
    };
    // Throughput on /health is bounded by the load generator sharing two cores with the server,
    // so the server's CPU per request is reported too: the stack's own cost, whatever the client.
    const cpuCost = (full: Figures) =>
      full.server_cpu_ms_per_request === null || !bareHealth.server_cpu_ms_per_request
        ? null
        : Math.round((full.server_cpu_ms_per_request / bareHealth.server_cpu_ms_per_request - 1) * 1000) / 10;
    const meets = (full: Figures) => cost(full) <= 25 && pairedCost(full).median_pct <= 25;
    return {
      load_average_1_5_15: { before: loadBefore, after: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      setup: { connections: CONNECTIONS, duration_s: DURATION_S, health_variants: `interleaved, ${INTERLEAVED_ROUNDS} rounds of ${DURATION_S / INTERLEAVED_ROUNDS} s per variant`, storage: 'sqlite (temp dir)', servers: `${PROCESSES_PER_VARIANT} processes per variant (bare, full, logged), one server each as in production, taken in turn round by round`, pinned: PINNED ? 'servers on core 0, load generator on core 1' : 'no', rate_limiter: 'on (limit 1e9/min)' },
      bare_health: bareHealth,
      full_health: fullHealth,
      full_health_request_logged: loggedHealth,
      full_health_with_api_key: fullHealthAuth,
      recommendations,
      post_calendar: postCalendar,
      middleware_cost_pct_health: cost(fullHealth),
      middleware_cost_pct_health_request_logged: cost(loggedHealth),
      middleware_cost_pct_health_with_api_key: cost(fullHealthAuth),
      middleware_cost_pct_health_by_round: pairedCost(fullHealth),
      middleware_cost_pct_health_request_logged_by_round: pairedCost(loggedHealth),
      middleware_cost_pct_health_with_api_key_by_round: pairedCost(fullHealthAuth),
      middleware_cpu_overhead_pct_health: cpuCost(fullHealth),
      middleware_cpu_overhead_pct_health_request_logged: cpuCost(loggedHealth),
      middleware_cpu_overhead_pct_health_with_api_key: cpuCost(fullHealthAuth),
      targets: {
        post_calendar_req_per_s_min: 500,
        post_calendar_p99_ms_max: 50,
        health_middleware_cost_pct_max: 25,
        post_calendar_met: postCalendar.req_per_s >= 500 && postCalendar.p99_ms < 50,
        // The target as the issue words it: the middleware stack against the bare route, neither
        // writing a request log (as the embedded engine runs), on both estimates: totals over all
        // rounds and the median round.
        health_cost_met: meets(fullHealth),
        // Reported beside it, not judged (docs/api.md): the server with its request log on, as
        // `npm run server` runs, against the same bare route.
        health_cost_with_request_log_met: meets(loggedHealth),
      },
    };
  } finally {
    await Promise.all(
      servers.map(async ({ child }) => {
        child.kill('SIGTERM');
        if (child.exitCode === null) await once(child, 'exit').catch(() => undefined);
      }),
    );
  }
}
