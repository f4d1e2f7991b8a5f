// Settings: theme applies at once (data-theme on <html>); a remote server is tested and then
// used without restarting the app; the display time zone changes what the calendar shows.
import { expect, test } from '@playwright/test';
import { goTo, openApp, shot } from './support/app';
import { createApiKey, freePort, startServerProcess, tempDataDir } from './support/processes';

test('theme, test connection, switch to a remote engine', async ({ page }) => {
  const serverData = tempDataDir();
  const apiKey = createApiKey(serverData.path);
  const server = await startServerProcess({ dataDir: serverData.path, port: await freePort() });
  const app = await openApp(page);
  try {
    await goTo(page, 'Settings');
    await page.getByRole('radio', { name: 'Dark' }).check();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await page.getByRole('radio', { name: 'Follow the system' }).check();
    await expect(page.locator('html')).not.toHaveAttribute('data-theme', /.*/);

    await page.getByRole('radio', { name: /A team server/ }).check();
    await page.getByLabel('Server URL').fill(server.url);
    await page.getByLabel(/^API key/).fill('wrong-key-0123456789');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.getByRole('main').getByRole('status')).toHaveText(/key|unauthori[sz]ed|401/i);
    await page.getByLabel(/^API key/).fill(apiKey);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.getByRole('main').getByRole('status')).toHaveText(/\d+\.\d+\.\d+/);
    await shot(page, 'settings-test-connection');

    await page.getByRole('button', { name: 'Save connection' }).click();
    await expect(page.getByRole('status', { name: 'Engine connection' })).toHaveText(/Connected to the remote engine/, { timeout: 15_000 });
  } finally {
    await app.close();
    await server.kill();
    serverData.remove();
  }
});
