import { spawnSync } from 'node:child_process';

// Build main, preload and renderer once for every spec (the web host serves out/renderer).
export default function globalSetup(): void {
  if (process.env.CADENCE_E2E_SKIP_BUILD === '1') return;
  const result = spawnSync('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error('electron-vite build failed');
}
