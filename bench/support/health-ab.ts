/**
 * A development tool, not part of `npm run bench`: compares `GET /health` server processes
 * (bench/support/api-server.ts variants) side by side, in interleaved 1 s rounds on the pinned
 * layout of the API bench (servers on core 0, autocannon here on core 1), and prints each
 * process's server CPU per request and its per-round CPU paired with the first variant's.
 *
 *   node --import tsx bench/support/health-ab.ts [DIR=]VARIANT[:NAME=VALUE…] …
 *
 * VARIANT is bare, full or logged; DIR= runs the api-server.ts of another checkout (e.g. a
 * `git worktree` of an older commit, with node_modules linked) to compare builds; NAME=VALUE
 * sets an environment variable of that process. AB_ROUNDS (default 10) rounds;
 * AB_PROFILE_DIR=DIR writes each process's V8 CPU profile under DIR/<index>.
 * The figures in docs/api.md that name this tool were measured with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

interface Contender {
  spec: string;
  child: ChildProcess;
  url: string;
  requests: number;
  cpuMs: number;
  /** Server CPU per request in each round, µs. */
  rounds: number[];
}

const ROUNDS = Number(process.env.AB_ROUNDS ?? 10);
const CONNECTIONS = 10;

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function start(spec: string, index: number): Promise<Contender> {
  const [head = '', ...settings] = spec.split(':');
  const [dir, variant] = head.includes('=') ? (head.split('=') as [string, string]) : [process.cwd(), head];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of settings) {
    const [name, value = ''] = setting.split('=');
    if (name) env[name] = value;
  }
  const profile = process.env.AB_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AB_PROFILE_DIR}/${index}`] : [];
  const child = spawn('taskset', ['-c', '0', process.execPath, ...profile, '--import', 'tsx', 'bench/support/api-server.ts', variant], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
    cwd: dir,
  });
  let url = '';
  // Log lines may come first when a variant logs to stdout.
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.includes('"apiKey"')) {
      url = (JSON.parse(line) as { url: string }).url;
      break;
    }
  }
  child.stdout!.resume();
  return { spec, child, url, requests: 0, cpuMs: 0, rounds: [] };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function main(specs: string[]): Promise<void> {
  if (specs.length < 2) throw new Error('usage: health-ab.ts [DIR=]VARIANT[:NAME=VALUE…] … (two or more)');
  const contenders: Contender[] = [];
  for (const [index, spec] of specs.entries()) contenders.push(await start(spec, index));
  try {
    for (const c of contenders) await autocannon({ url: `${c.url}/health`, connections: CONNECTIONS, duration: 2 });
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts one contender later, as in the API bench.
      for (let turn = 0; turn < contenders.length; turn++) {
        const c = contenders[(round + turn) % contenders.length]!;
        const before = cpuMs(c.child.pid!);
        const result = await autocannon({ url: `${c.url}/health`, connections: CONNECTIONS, duration: 1 });
        const spent = cpuMs(c.child.pid!) - before;
        c.requests += result.requests.total;
        c.cpuMs += spent;
        c.rounds[round] = (spent / Math.max(1, result.requests.total)) * 1000;
      }
    }
  } finally {
    for (const c of contenders) c.child.kill('SIGTERM');
  }
  const base = contenders[0]!;
  for (const c of contenders) {
    const paired = c.rounds.map((us, round) => us / base.rounds[round]!).sort((a, b) => a - b);
    process.stdout.write(
      `${c.spec.padEnd(36)} ${((c.cpuMs / c.requests) * 1000).toFixed(1)} µs/request` +
        (c === base ? '' : `  paired with ${base.spec}: median ${quantile(paired, 0.5).toFixed(3)} (quartiles ${quantile(paired, 0.25).toFixed(3)}–${quantile(paired, 0.75).toFixed(3)})`) +
        '\n',
    );
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
