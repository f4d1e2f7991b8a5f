// A new user: empty state → recommendations for TikTok + Instagram → "Schedule this time" →
// the post is in the calendar at that time in the chosen zone, and the engine has it.
import { expect, test } from '@playwright/test';
import { openApp, shot } from './support/app';

interface Summary {
  id: string;
  title: string;
  timezone: string;
  item_count: number;
}

test('first run → recommendations → schedule this time → calendar', async ({ page }) => {
  const app = await openApp(page);
  try {
    // First run: never a blank page.
    await expect(page.getByRole('heading', { name: 'Welcome to Cadence' })).toBeVisible();
    await shot(page, 'first-run-empty');
    await page.getByRole('button', { name: 'Find the best times to post' }).click();

    const platforms = page.getByRole('group', { name: 'Platforms' });
    for (const name of ['YouTube', 'LinkedIn']) await platforms.getByRole('checkbox', { name }).uncheck();
    for (const name of ['TikTok', 'Instagram']) await platforms.getByRole('checkbox', { name }).check();
    await page.getByLabel('Time zone').selectOption('America/New_York');
    await page.getByRole('button', { name: 'Get recommendations' }).click();

    const list = page.getByRole('list', { name: 'Recommended times' });
    await expect(list.getByRole('listitem').first()).toBeVisible();
    const first = list.getByRole('listitem').first();
    await expect(first).toContainText(/Score \d+%/);
    await expect(first).toContainText(/confidence \d+%/);
    await expect(first).toContainText(/based on \d+ of your posts|industry data/);
    // Only the chosen platforms.
    await expect(list).not.toContainText('YouTube');
    await expect(list).not.toContainText('LinkedIn');
    // The heatmap cells carry readable labels.
    await expect(page.getByRole('gridcell', { name: /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{2}:00, score \d+%$/ }).first()).toBeAttached();
    await shot(page, 'first-run-recommendations');

    // A heatmap cell is a keyboard-reachable shortcut to its next occurrence.
    await page.getByRole('gridcell', { name: /^Tuesday 17:00, score/ }).first().focus();
    await page.keyboard.press('Enter');
    const fromCell = page.getByRole('dialog', { name: 'Schedule a post' });
    await expect(fromCell).toContainText(/heatmap: Tuesday 17:00/);
    await expect(fromCell.getByLabel('Date and time')).toHaveValue(/T17:00$/);
    await fromCell.getByRole('button', { name: 'Cancel' }).click();
    await expect(fromCell).toBeHidden();

    await first.getByRole('button', { name: /Schedule this time/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Schedule a post' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Time zone')).toHaveValue('America/New_York');
    const local = await dialog.getByLabel('Date and time').inputValue();
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    await dialog.getByLabel('New schedule title').fill('Launch week');
    await dialog.getByLabel('Content ID').fill('teaser-1');
    await shot(page, 'first-run-editor');
    await dialog.getByRole('button', { name: 'Schedule', exact: true }).click();
    await expect(dialog).toBeHidden();

    // The engine has it, at the recommended instant.
    await expect.poll(async () => (await app.bridge.value<{ data: Summary[] }>('schedules.list')).data.map((s) => s.title)).toEqual(['Launch week']);
    const toast = page.getByRole('region', { name: 'Notifications' }).getByRole('status').filter({ hasText: 'Scheduled teaser-1' });
    await toast.getByRole('button', { name: 'Show in calendar' }).click();

    // In the calendar, shown in the zone the user picked.
    await page.getByLabel('Show times in').selectOption('America/New_York');
    const time = local.slice(11, 16);
    const event = page.getByRole('button', { name: new RegExp(`: teaser-1, ${time}`) });
    await expect(event).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Welcome to Cadence' })).toBeHidden();
    await shot(page, 'first-run-calendar');

    // Opening it shows the details panel with the same time.
    await event.click();
    const details = page.getByRole('complementary', { name: 'teaser-1' });
    await expect(details).toContainText(time);
    await expect(details).toContainText('America/New_York');
  } finally {
    await app.close();
  }
});
