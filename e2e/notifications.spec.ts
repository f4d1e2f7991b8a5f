// Items reach their time: "published" (embedded engine, reminder publisher) and "failed"
// (a server whose webhook may not be called) each raise a toast and an activity entry.
import { expect, test } from '@playwright/test';
import { BridgeSocket, goTo, openApp, shot, startFailingServer } from './support/app';
import { createApiKey, freePort, startWebHostProcess, tempDataDir } from './support/processes';

const soon = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

test('published → toast and activity feed', async ({ page }) => {
  const app = await openApp(page);
  try {
    await app.bridge.value('schedules.create', {
      title: 'Going out now',
      timezone: 'UTC',
      items: [{ content_id: 'notif-1', platform: 'tiktok', scheduled_time: soon(4000) }],
    });
    const toasts = page.getByRole('region', { name: 'Notifications' });
    await expect(toasts.getByRole('status').filter({ hasText: /Published.*notif-1/ })).toBeVisible({ timeout: 20_000 });
    await shot(page, 'notification-published');
    await goTo(page, 'Activity');
    await expect(page.getByRole('list', { name: 'Activity feed' })).toContainText(/notif-1” published on TikTok/);
    await shot(page, 'activity-feed');
  } finally {
    await app.close();
  }
});

test('failed → toast that stays, and a danger entry in the feed', async ({ page }) => {
  const serverData = tempDataDir();
  const appData = tempDataDir();
  const apiKey = createApiKey(serverData.path);
  const server = await startFailingServer(serverData.path, await freePort());
  const host = await startWebHostProcess({ dataDir: appData.path, apiUrl: server.url, apiKey });
  const bridge = await BridgeSocket.connect(host);
  try {
    await page.goto(host.launchUrl);
    await expect(page.getByRole('status', { name: 'Engine connection' })).toHaveText(/Connected to the remote engine/);
    await bridge.value('schedules.create', {
      title: 'Will fail',
      timezone: 'UTC',
      items: [{ content_id: 'notif-2', platform: 'youtube', scheduled_time: soon(4000) }],
    });
    const toast = page.getByRole('region', { name: 'Notifications' }).getByRole('status').filter({ hasText: /Publishing failed.*notif-2/ });
    await expect(toast).toBeVisible({ timeout: 20_000 });
    await shot(page, 'notification-failed');
    await goTo(page, 'Activity');
    await expect(page.getByRole('list', { name: 'Activity feed' }).getByRole('listitem').filter({ hasText: /notif-2” failed on YouTube/ })).toHaveAttribute('data-tone', 'danger');
    // A failure is not dismissed by itself.
    await page.waitForTimeout(1000);
    await expect(toast).toBeVisible();
  } finally {
    bridge.close();
    await host.kill();
    await server.kill();
    serverData.remove();
    appData.remove();
  }
});
