// `npm test`: every quality gate, in order, on real things: lint, type checks of all three
// targets, unit and integration tests (vitest, real servers and databases on loopback), then
// end-to-end tests in Debian's Chromium. Ends with one summary line counting every test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin, root } from './lib.mjs';

const results = join(root, 'test-results');
rmSync(join(results, 'vitest.json'), { force: true });
rmSync(join(results, 'playwright.json'), { force: true });
mkdirSync(results, { recursive: true });

const steps = [
  ['lint', bin('eslint'), ['--max-warnings=0', '.']],
  ['typecheck: main, preload, server, shared', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck: renderer', bin('vue-tsc'), ['-p', 'tsconfig.web.json', '--noEmit']],
  ['typecheck: end-to-end specs and benchmarks', bin('tsc'), ['-p', 'tsconfig.e2e.json', '--noEmit']],
  ['build', bin('electron-vite'), ['build']],
  ['unit and integration tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(results, 'vitest.json')}`]],
  ['end-to-end tests (Playwright, Chromium)', bin('playwright'), ['test'], { CADENCE_E2E_SKIP_BUILD: '1' }],
];

const failures = [];
for (const [name, command, args, env] of steps) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const run = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...(env ?? {}) } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    failures.push(name);
    process.stdout.write(`=== ${name}: FAILED (${seconds} s)\n`);
  } else {
    process.stdout.write(`=== ${name}: ok (${seconds} s)\n`);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const skipReasons = [];
const vitestFile = join(results, 'vitest.json');
if (existsSync(vitestFile)) {
  const report = JSON.parse(readFileSync(vitestFile, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
const playwrightFile = join(results, 'playwright.json');
if (existsSync(playwrightFile)) {
  const report = JSON.parse(readFileSync(playwrightFile, 'utf8'));
  passed += (report.stats?.expected ?? 0) + (report.stats?.flaky ?? 0);
  failed += report.stats?.unexpected ?? 0;
  skipped += report.stats?.skipped ?? 0;
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        for (const note of t.annotations ?? []) {
          if (note.type === 'skip') skipReasons.push(`${spec.title}: ${note.description ?? 'no reason given'}`);
        }
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of report.suites ?? []) walk(suite);
}

process.stdout.write('\n');
for (const reason of skipReasons) process.stdout.write(`skipped: ${reason}\n`);
if (failures.length) process.stdout.write(`failed steps: ${failures.join(', ')}\n`);
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failures.length || failed ? 1 : 0);
