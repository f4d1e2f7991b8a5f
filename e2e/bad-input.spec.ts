// Bad input gets a clear message next to the field or row, and nothing is saved: a local time
// in a DST gap, a callback URL the contract refuses (the error's details path), and a CSV row
// with an unknown platform.
import { expect, test } from '@playwright/test';
import { goTo, openApp, shot } from './support/app';

test('a DST-gap time and a bad callback URL are refused next to their fields', async ({ page }) => {
  const app = await openApp(page);
  try {
    await page.getByRole('button', { name: 'New post' }).click();
    const dialog = page.getByRole('dialog', { name: 'Schedule a post' });
    await dialog.getByLabel('New schedule title').fill('DST check');
    await dialog.getByLabel('Content ID').fill('gap-1');
    await dialog.getByLabel('Time zone').selectOption('America/New_York');
    // 2027-03-14 02:30 does not exist in New York: clocks jump from 02:00 to 03:00.
    await dialog.getByLabel('Date and time').fill('2027-03-14T02:30');
    await dialog.getByRole('button', { name: 'Schedule', exact: true }).click();
    const when = dialog.getByLabel('Date and time');
    await expect(when).toHaveAttribute('aria-invalid', 'true');
    await expect(when).toHaveAccessibleDescription(/2027-03-14 02:30 does not exist in America\/New_York/);
    await shot(page, 'bad-input-dst-gap');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Schedules form: the bridge refuses an ftp:// callback and names items[0].callbacks.on_published.
    await goTo(page, 'Schedules');
    await page.getByRole('button', { name: 'New schedule' }).click();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Title').fill('Callback check');
    const post = form.getByRole('group', { name: 'Post 1' });
    await post.getByLabel('Content ID').fill('cb-1');
    await post.getByLabel('Date and time').fill('2027-01-15T10:00');
    await post.getByText('Channel and callbacks').click();
    await post.getByLabel('On published URL').fill('ftp://example.com/hook');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await expect(post.getByLabel('On published URL')).toHaveAccessibleDescription(/http\(s\) URL/);
    await shot(page, 'bad-input-callback');

    const list = await app.bridge.value<{ data: unknown[] }>('schedules.list');
    expect(list.data).toEqual([]);
  } finally {
    await app.close();
  }
});

test('CSV: an unknown platform is reported on its row and blocks the import', async ({ page }) => {
  const app = await openApp(page);
  try {
    await goTo(page, 'Import & export');
    const csv = [
      'content_id,platform,published_at,impressions,engagements',
      'clip-1,tiktok,2026-10-02T18:00:00Z,12000,950',
      'clip-2,myspace,2026-10-03T18:00:00Z,8000,300',
    ].join('\n');
    await page.getByLabel('…or paste CSV').fill(csv);
    await page.getByRole('button', { name: 'Preview' }).click();
    const table = page.getByRole('table', { name: /CSV preview/ });
    const bad = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '3' }) });
    await expect(bad).toContainText(/platform/);
    await expect(bad).toContainText(/myspace/);
    await expect(page.getByRole('button', { name: 'Import 1 row' })).toBeDisabled();
    await shot(page, 'bad-input-csv');

    // Fixed: only valid rows → imported.
    await page.getByLabel('…or paste CSV').fill(csv.split('\n').slice(0, 2).join('\n'));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Import 1 row' }).click();
    await expect(page.getByText(/Imported 1 post \(0 duplicates skipped\)/)).toBeVisible();
  } finally {
    await app.close();
  }
});

test('the editor warns about spacing and the daily cap next to the time field, and still saves', async ({ page }) => {
  const app = await openApp(page);
  try {
    const created = await app.bridge.value<{ scheduleId: string }>('schedules.create', {
      title: 'Spacing check',
      timezone: 'UTC',
      items: [
        { content_id: 'morning', platform: 'youtube', scheduled_time: '2030-06-10T09:00:00Z' },
        { content_id: 'afternoon', platform: 'youtube', scheduled_time: '2030-06-10T15:00:00Z' },
      ],
    });
    await page.getByRole('button', { name: 'New post' }).click();
    const dialog = page.getByRole('dialog', { name: 'Schedule a post' });
    await dialog.getByLabel('Schedule', { exact: true }).selectOption({ label: 'Spacing check (UTC)' });
    await dialog.getByLabel('Platform').selectOption('youtube');
    await dialog.getByLabel('Content ID').fill('evening');
    await dialog.getByLabel('Time zone').selectOption('UTC');
    const when = dialog.getByLabel('Date and time');
    // 1 h after "afternoon", and a third YouTube post that day (the cap is 2).
    await when.fill('2030-06-10T16:00');
    await expect(when).toHaveAccessibleDescription(/Spacing: 1 h from another post on youtube/);
    await expect(when).toHaveAccessibleDescription(/Daily cap: 3 posts on youtube on 2030-06-10/);
    // A warning, not an error: the field is not invalid.
    await expect(when).not.toHaveAttribute('aria-invalid', 'true');
    await shot(page, 'editor-spacing-warning');
    // A free time clears the warnings.
    await when.fill('2030-06-11T16:00');
    await expect(dialog.locator('#ed-when-warn li')).toHaveCount(0);
    // Saving the warned time is the person's call.
    await when.fill('2030-06-10T16:00');
    await expect(dialog.locator('#ed-when-warn li')).toHaveCount(2);
    await dialog.getByRole('button', { name: 'Schedule', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect
      .poll(async () => (await app.bridge.value<{ data: { items: Array<{ content_id: string }> } }>('schedules.get', { id: created.scheduleId })).data.items.map((i) => i.content_id))
      .toEqual(['morning', 'afternoon', 'evening']);
  } finally {
    await app.close();
  }
});
