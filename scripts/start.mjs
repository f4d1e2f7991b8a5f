// `npm start [-- --data-dir DIR --api-url URL --api-key KEY]`: builds and launches the desktop
// app. Where the Electron binary cannot be had, it says why and serves the same app through
// the web host instead.
import { build, bin, electronBinary, electronSqliteBinding, installElectronBinary, root, runForwardingSignals } from './lib.mjs';
import { join } from 'node:path';

const args = process.argv.slice(2);
build();

let binary = electronBinary();
let reason = null;
if (!binary) {
  process.stdout.write('Cadence: the Electron binary is missing; running electron\'s install script to fetch it…\n');
  const installed = installElectronBinary();
  if (installed.ok) binary = electronBinary();
  else reason = `its binary could not be downloaded: ${installed.reason}`;
}

if (binary) {
  const sqlite = electronSqliteBinding();
  if (!sqlite.path) {
    binary = null;
    reason = sqlite.reason;
  } else {
    runForwardingSignals(binary, [root, ...args], { env: { ...process.env, CADENCE_SQLITE_BINDING: sqlite.path } });
  }
}
if (!binary) {
  process.stdout.write(
    [
      '',
      `Cadence could not start as a desktop window: the Electron runtime is not usable here (${reason}).`,
      'This happens on machines without access to Electron\'s download servers. Nothing is lost: the same app,',
      'with the same engine and data, is now served to your browser by Cadence\'s web host on this computer only.',
      'Open the URL below in a browser. To get the desktop window later, run `npm start` again where downloads work.',
      '',
    ].join('\n'),
  );
  runForwardingSignals(bin('tsx'), [join(root, 'src/main/web/cli.ts'), ...args]);
}
