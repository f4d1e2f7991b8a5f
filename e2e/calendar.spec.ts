// Drag and drop in the calendar reschedules on the server (check first, then commit), and Undo
// puts the old time back.
import { expect, test, type Page } from '@playwright/test';
import { openApp, shot } from './support/app';

interface ScheduleWithItems {
  items: Array<{ id: string; content_id: string; scheduled_time: string }>;
}

function dayLabel(date: Date): string {
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

async function drag(page: Page, from: ReturnType<Page['locator']>, to: ReturnType<Page['locator']>): Promise<void> {
  // The calendar re-renders when sync refreshes its data: wait until both ends hold still.
  let a = await from.boundingBox();
  let b = await to.boundingBox();
  for (let i = 0; i < 20 && (!a || !b); i++) {
    await page.waitForTimeout(100);
    a = await from.boundingBox();
    b = await to.boundingBox();
  }
  if (!a || !b) throw new Error('drag source or target is not on screen');
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 5, a.y + a.height / 2 + 5, { steps: 3 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

test('drag an item to another day → the server has the new time; Undo restores it', async ({ page }) => {
  const app = await openApp(page);
  try {
    const start = new Date(Date.now() + 2 * 86_400_000);
    start.setUTCHours(15, 0, 0, 0);
    const created = await app.bridge.value<{ scheduleId: string }>('schedules.create', {
      title: 'Drag test',
      timezone: 'UTC',
      items: [{ content_id: 'drag-1', platform: 'youtube', scheduled_time: start.toISOString().replace('.000Z', 'Z') }],
    });
    const serverTime = async () => (await app.bridge.value<{ data: ScheduleWithItems }>('schedules.get', { id: created.scheduleId })).data.items[0]?.scheduled_time;

    await page.evaluate((iso) => (window as unknown as { __cadenceCalendar: { gotoDate(d: string): void } }).__cadenceCalendar.gotoDate(iso), start.toISOString());
    const event = page.getByRole('button', { name: /YouTube: drag-1, 15:00/ });
    await expect(event).toBeVisible();
    const target = new Date(start.getTime() + 86_400_000);
    await drag(page, event, page.locator(`[aria-label="${dayLabel(target)}"]`).first());

    const toast = page.getByRole('region', { name: 'Notifications' }).getByRole('status').filter({ hasText: 'Moved drag-1' });
    await expect(toast).toBeVisible();
    await expect.poll(serverTime).toBe(target.toISOString().replace('.000Z', 'Z'));
    await shot(page, 'calendar-after-drag');

    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(serverTime).toBe(start.toISOString().replace('.000Z', 'Z'));
    await expect(page.getByRole('button', { name: /YouTube: drag-1, 15:00/ })).toBeVisible();

    // The details panel cancels the post, after asking.
    await page.getByRole('button', { name: /YouTube: drag-1, 15:00/ }).click();
    const details = page.getByRole('complementary', { name: 'drag-1' });
    await details.getByRole('button', { name: 'Cancel this post…' }).click();
    await details.getByRole('button', { name: 'Yes, cancel the post' }).click();
    // Nothing of it is left to publish; the calendar still shows it, marked cancelled.
    const statuses = async () =>
      (await app.bridge.value<{ data: { items: Array<{ status: string }> } }>('schedules.get', { id: created.scheduleId })).data.items.map((i) => i.status);
    await expect.poll(statuses).toEqual(['cancelled']);
    await expect(page.getByRole('button', { name: /YouTube: drag-1, 15:00, Scheduled/ })).toBeHidden();
    await expect(page.getByRole('button', { name: /YouTube: drag-1, 15:00, Cancelled$/ })).toBeVisible();
    await expect(details.locator('.badge[data-status="cancelled"]')).toHaveText('Cancelled');
    // Nothing is offered for a cancelled post.
    await expect(details.getByRole('button', { name: 'Cancel this post…' })).toBeHidden();
  } finally {
    await app.close();
  }
});

test('a move that breaks a rule shows the violation first; keeping the old time commits nothing', async ({ page }) => {
  const app = await openApp(page);
  try {
    const base = new Date(Date.now() + 3 * 86_400_000);
    base.setUTCHours(12, 0, 0, 0);
    const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
    const created = await app.bridge.value<{ scheduleId: string }>('schedules.create', {
      title: 'Spacing test',
      timezone: 'UTC',
      items: [
        { content_id: 'spaced-a', platform: 'tiktok', scheduled_time: iso(base) },
        { content_id: 'spaced-b', platform: 'tiktok', scheduled_time: iso(new Date(base.getTime() + 86_400_000)) },
      ],
    });
    await page.evaluate((d) => (window as unknown as { __cadenceCalendar: { gotoDate(d: string): void } }).__cadenceCalendar.gotoDate(d), iso(base));
    // Reschedule through the details panel (the keyboard route): next to spaced-b, same channel.
    const details = page.getByRole('complementary', { name: 'spaced-a' });
    // Retried: a sync refresh may re-render the event between focus and key press.
    await expect(async () => {
      await page.getByRole('button', { name: /TikTok: spaced-a, 12:00/ }).focus();
      await page.keyboard.press('Enter');
      await expect(details).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 10_000 });
    const near = new Date(base.getTime() + 86_400_000 + 10 * 60_000);
    await details.getByLabel('New date and time').fill(iso(near).slice(0, 16));
    await details.getByRole('button', { name: 'Move' }).click();

    const dialog = page.getByRole('dialog', { name: 'This time breaks a scheduling rule' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('list', { name: 'Rule violations' }).getByRole('listitem').first()).toBeVisible();
    await shot(page, 'calendar-violation');
    await dialog.getByRole('button', { name: 'Keep the old time' }).click();
    await expect(dialog).toBeHidden();
    const schedule = await app.bridge.value<{ data: ScheduleWithItems }>('schedules.get', { id: created.scheduleId });
    expect(schedule.data.items.find((i) => i.content_id === 'spaced-a')?.scheduled_time).toBe(iso(base));
  } finally {
    await app.close();
  }
});
