// The engine stops: the offline banner says when the data was cached, the cache stays
// browsable, a reschedule is queued ("1 change queued"); the engine starts again: the change
// reaches the server exactly once and the banner clears.
import { expect, test } from '@playwright/test';
import { goTo, openApp, shot } from './support/app';

interface Item {
  id: string;
  content_id: string;
  scheduled_time: string;
  version: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

test('offline: cached calendar, queued reschedule, synced once when the engine is back', async ({ page }) => {
  const app = await openApp(page);
  try {
    const when = new Date(Date.now() + 2 * 86_400_000);
    when.setUTCHours(10, 0, 0, 0);
    const { scheduleId } = await app.bridge.value<{ scheduleId: string }>('schedules.create', {
      title: 'Offline test',
      timezone: 'UTC',
      items: [{ content_id: 'off-1', platform: 'instagram', scheduled_time: iso(when.getTime()) }],
    });
    await page.evaluate((d) => (window as unknown as { __cadenceCalendar: { gotoDate(d: string): void } }).__cadenceCalendar.gotoDate(d), iso(when.getTime()));
    const event = page.getByRole('button', { name: /Instagram: off-1, 10:00/ });
    await expect(event).toBeVisible();

    await app.bridge.value('engine.stop');
    const banner = page.getByRole('region', { name: 'Offline and queued changes' });
    await expect(banner).toContainText('You are offline.');
    await expect(banner).toContainText(/Showing data cached at|Showing what this computer has cached/);
    await expect(banner).toContainText('No changes queued.');
    await expect(page.getByTestId('connection-indicator')).toContainText(/Offline since \d/);

    // The cache is still browsable: other views and the calendar show what was there.
    await goTo(page, 'Schedules');
    await expect(page.getByRole('rowheader', { name: /Offline test/ })).toBeVisible();
    await goTo(page, 'Calendar');
    await page.evaluate((d) => (window as unknown as { __cadenceCalendar: { gotoDate(d: string): void } }).__cadenceCalendar.gotoDate(d), iso(when.getTime()));
    await page.getByRole('button', { name: /Instagram: off-1, 10:00/ }).click();
    const details = page.getByRole('complementary', { name: 'off-1' });
    const target = when.getTime() + 86_400_000 + 2 * 3_600_000;
    await details.getByLabel('New date and time').fill(iso(target).slice(0, 16));
    await details.getByRole('button', { name: 'Move' }).click();
    await expect(banner).toContainText('1 change queued.');
    await expect(page.getByRole('button', { name: /Instagram: off-1, 12:00.*Pending sync/ })).toBeVisible();
    await shot(page, 'offline-queued');

    await goTo(page, 'Queued changes');
    await expect(page.getByRole('table', { name: 'Queued changes' }).getByRole('row')).toHaveCount(2);
    await shot(page, 'offline-outbox');

    await app.bridge.value('engine.start');
    await expect(banner).toBeHidden({ timeout: 20_000 });
    await expect(page.getByTestId('connection-indicator')).toContainText('Live');
    await app.bridge.value('sync.now');
    const item = async () => (await app.bridge.value<{ data: { items: Item[] }; source: string }>('schedules.get', { id: scheduleId })).data.items[0];
    await expect.poll(async () => (await item())?.scheduled_time).toBe(iso(target));
    // Exactly once: one write on the server (version 1 → 2), nothing left queued.
    expect((await item())?.version).toBe(2);
    expect(await app.bridge.value<unknown[]>('outbox.list')).toEqual([]);
  } finally {
    await app.close();
  }
});
