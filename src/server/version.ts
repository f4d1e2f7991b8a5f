import { readFileSync } from 'node:fs';

function readVersion(): string {
  // Walk up from this file to the package manifest; works from src/ (tsx) and from out/ (bundled).
  for (const rel of ['../../package.json', '../../../package.json', '../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'cadence' && manifest.version) return manifest.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const SERVER_VERSION = readVersion();
