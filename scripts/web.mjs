// `npm run web -- --port N --data-dir DIR [--api-url URL --api-key KEY]`: builds the renderer
// (skip with --no-build) and serves the app to a browser through the web host.
import { bin, build, root, runForwardingSignals } from './lib.mjs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const skipBuild = args.includes('--no-build');
if (!skipBuild) build();
runForwardingSignals(bin('tsx'), [join(root, 'src/main/web/cli.ts'), ...args.filter((a) => a !== '--no-build')]);
