// The foundation's vertical slice, driven in Chromium through the web host: the status bar
// shows the engine connection as the main process sees it, through stop and start.
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { createApiKey, freePort, startServerProcess, startWebHostProcess, tempDataDir } from './support/processes';

test('embedded engine: connected, stopped → offline, started → connected again', async ({ page }) => {
  const data = tempDataDir();
  const host = await startWebHostProcess({ dataDir: data.path });
  try {
    await page.goto(host.launchUrl);
    const status = page.getByRole('status', { name: 'Engine connection' });
    await expect(status).toHaveText(/Connected to the embedded engine v\d+\.\d+\.\d+/);
    // The token left the address bar once the page had it.
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: 'test-results/screens/slice-connected.png' });

    // Stop and start the engine through the bridge, as the app's engine controls do.
    const control = new WebSocket(`${host.origin.replace('http', 'ws')}/bridge?token=${host.token}`, { origin: host.origin });
    await new Promise((resolve) => control.once('open', resolve));
    control.send(JSON.stringify({ kind: 'call', id: 1, method: 'engine.stop', input: {} }));
    await expect(status).toHaveText(/Offline since \d{1,2}:\d{2}:\d{2}.*engine is not running/, { timeout: 5_000 });
    await page.screenshot({ path: 'test-results/screens/slice-offline.png' });
    control.send(JSON.stringify({ kind: 'call', id: 2, method: 'engine.start', input: {} }));
    await expect(status).toHaveText(/Connected to the embedded engine/, { timeout: 5_000 });
    control.close();
  } finally {
    await host.kill();
    data.remove();
  }
});

test('remote engine: the server process is killed → offline; restarted → connected', async ({ page }) => {
  const serverData = tempDataDir();
  const appData = tempDataDir();
  const port = await freePort();
  const apiKey = createApiKey(serverData.path);
  let server = await startServerProcess({ dataDir: serverData.path, port });
  const host = await startWebHostProcess({ dataDir: appData.path, apiUrl: server.url, apiKey });
  try {
    await page.goto(host.launchUrl);
    const status = page.getByRole('status', { name: 'Engine connection' });
    await expect(status).toHaveText(/Connected to the remote engine/);
    await server.kill('SIGKILL');
    await expect(status).toHaveText(/Offline since .* connection refused/, { timeout: 5_000 });
    server = await startServerProcess({ dataDir: serverData.path, port });
    await expect(status).toHaveText(/Connected to the remote engine/, { timeout: 5_000 });
  } finally {
    await host.kill();
    await server.kill();
    serverData.remove();
    appData.remove();
  }
});
