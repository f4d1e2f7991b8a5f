// The desktop app itself, driven through Playwright's Electron support. It needs the Electron
// binary, which cannot be downloaded on every machine: there it reports itself skipped and says why.
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

test.describe('desktop app (Electron)', () => {
  test.skip(binary === null, 'the Electron binary is not installed here (its download is blocked on this machine); run `npm start` once where downloads work');

  test('opens a sandboxed window whose status bar reaches the embedded engine', async () => {
    const data = tempDataDir();
    const app = await electron.launch({
      executablePath: binary ?? undefined,
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
