// The desktop app itself, driven through Playwright's Electron support. It needs the Electron
// binary, which cannot be downloaded on every machine: there it reports itself skipped and says why.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { root, tempDataDir } from './support/processes';

function electronBinary(): string | null {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();

/** better-sqlite3 built for Electron's ABI, as `npm start` builds it (scripts/lib.mjs). */
function electronSqlite(): string | null {
  const script = "import('./scripts/lib.mjs').then((m) => process.stdout.write(JSON.stringify(m.electronSqliteBinding())))";
  const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as { path: string | null };
  return result.path;
}

test.describe('desktop app (Electron)', () => {
  test.skip(binary === null, 'the Electron binary is not installed here (its download is blocked on this machine); run `npm start` once where downloads work');

  test('opens a sandboxed window whose status bar reaches the embedded engine', async () => {
    const sqliteBinding = electronSqlite();
    test.skip(sqliteBinding === null, 'better-sqlite3 could not be built for Electron on this machine');
    const data = tempDataDir();
    const app = await electron.launch({
      executablePath: binary ?? undefined,
      env: { ...process.env, CADENCE_SQLITE_BINDING: sqliteBinding ?? '' },
      args: [root, '--data-dir', data.path, ...(process.env.CI ? ['--no-sandbox'] : [])],
    });
    try {
      const window = await app.firstWindow();
      await expect(window.getByRole('status', { name: 'Engine connection' })).toHaveText(/Connected to the embedded engine/);
      // The renderer has the bridge object and nothing of Node.
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      const invalid = await window.evaluate(() =>
        (window as unknown as { cadence: { invoke(m: string, i: unknown): Promise<unknown> } }).cadence.invoke('settings.update', { theme: 'purple' }),
      );
      expect(invalid).toMatchObject({ ok: false, error: { code: 'validation_failed', details: [{ path: 'theme' }] } });
      expect(await window.evaluate(() => typeof (window as unknown as { process?: unknown }).process)).toBe('undefined');
    } finally {
      await app.close();
      data.remove();
    }
  });
});
