// Optimize a 30-item schedule → diff (timeline + table) → apply 5 → the engine and the calendar's
// data have exactly those 5 at their proposed times → Undo restores the previous times.
import { expect, test } from '@playwright/test';
import { goTo, openApp, shot } from './support/app';

interface Item {
  id: string;
  content_id: string;
  scheduled_time: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

test('optimize 30 items → apply 5 → exactly those 5 move → undo', async ({ page }) => {
  const app = await openApp(page);
  try {
    const base = new Date(Date.now() + 86_400_000);
    base.setUTCHours(3, 0, 0, 0);
    const items = Array.from({ length: 30 }, (_, i) => ({
      content_id: `opt-${String(i + 1).padStart(2, '0')}`,
      platform: ['tiktok', 'instagram', 'youtube', 'linkedin'][i % 4],
      scheduled_time: iso(base.getTime() + i * 5 * 3_600_000),
    }));
    const { scheduleId } = await app.bridge.value<{ scheduleId: string }>('schedules.create', { title: 'Thirty posts', timezone: 'UTC', items });
    const serverTimes = async () => {
      const s = await app.bridge.value<{ data: { items: Item[] } }>('schedules.get', { id: scheduleId });
      return Object.fromEntries(s.data.items.map((i) => [i.content_id, i.scheduled_time]));
    };
    const before = await serverTimes();

    await goTo(page, 'Optimization');
    await page.getByLabel('Schedule').selectOption({ label: 'Thirty posts (30 posts)' });
    await page.getByRole('button', { name: 'Run optimization' }).click();
    await expect(page.getByTestId('optimize-summary')).toContainText(/total uplift/);
    await expect(page.getByTestId('optimize-summary')).toContainText(/gap \d+%/);
    await expect(page.getByRole('img', { name: /Before and after timeline/ })).toBeVisible();
    const table = page.getByRole('table', { name: 'Proposed changes' });
    const rows = table.getByRole('row').filter({ has: page.getByRole('checkbox', { name: /Apply the move of/ }) });
    expect(await rows.count()).toBeGreaterThanOrEqual(5);

    // Choose exactly five.
    await table.getByRole('checkbox', { name: 'Select all changes' }).uncheck();
    const chosen: Array<{ content: string }> = [];
    for (let i = 0; i < 5; i++) {
      const row = rows.nth(i);
      await row.getByRole('checkbox').check();
      chosen.push({ content: (await row.getByRole('rowheader').innerText()).split(/\s/)[0] ?? '' });
    }
    await shot(page, 'optimize-diff');
    await page.getByRole('button', { name: 'Apply 5 selected changes' }).click();
    await expect(rows.filter({ hasText: 'Applied' })).toHaveCount(5);
    await shot(page, 'optimize-applied');

    // The engine: exactly those five changed, each to a time the optimizer proposed.
    const after = await serverTimes();
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
    expect(changed).toEqual(chosen.map((c) => c.content).sort());

    // The calendar's data (calendar.range, what the calendar view renders) agrees.
    const range = await app.bridge.value<{ data: Item[] }>('calendar.range', { from: iso(base.getTime() - 7 * 86_400_000), to: iso(base.getTime() + 14 * 86_400_000) });
    for (const item of range.data.filter((i) => i.content_id.startsWith('opt-'))) expect(item.scheduled_time).toBe(after[item.content_id]);
    // And one of them is on screen at its new time.
    const moved = chosen[0]?.content ?? '';
    const movedTime = after[moved] ?? '';
    await goTo(page, 'Calendar');
    await page.evaluate((d) => (window as unknown as { __cadenceCalendar: { gotoDate(d: string): void } }).__cadenceCalendar.gotoDate(d), movedTime);
    await page.getByRole('tab', { name: 'Day view' }).click();
    await expect(page.getByRole('button', { name: new RegExp(`: ${moved}, ${movedTime.slice(11, 16)}`) })).toBeVisible();

    // Undo brings the previous times back.
    await goTo(page, 'Optimization');
    await page.getByRole('button', { name: 'Undo applied changes' }).click();
    await expect(rows.filter({ hasText: 'Undone' })).toHaveCount(5);
    await expect.poll(serverTimes).toEqual(before);

    // A post changed elsewhere since the proposal: its row says so, and nothing is applied.
    await page.getByRole('button', { name: 'Run optimization' }).click();
    await expect(rows.first()).toBeVisible();
    await table.getByRole('checkbox', { name: 'Select all changes' }).uncheck();
    await rows.nth(0).getByRole('checkbox').check();
    await rows.nth(1).getByRole('checkbox').check();
    const stale = (await rows.nth(0).getByRole('rowheader').innerText()).split(/\s/)[0] ?? '';
    const staleItem = (await app.bridge.value<{ data: { items: Item[] } }>('schedules.get', { id: scheduleId })).data.items.find((i) => i.content_id === stale);
    await app.bridge.value('items.reschedule', { scheduleId, itemId: staleItem?.id, scheduledTime: iso(base.getTime() + 20 * 86_400_000), force: true });
    const beforeConflict = await serverTimes();
    await page.getByRole('button', { name: 'Apply 2 selected changes' }).click();
    await expect(rows.nth(0)).toContainText(/Conflict: .*changed since/);
    await expect(rows.nth(1)).not.toContainText('Applied');
    await shot(page, 'optimize-conflict');
    expect(await serverTimes()).toEqual(beforeConflict);

    // The schedule exports as an ICS file through a download link.
    await goTo(page, 'Schedules');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export Thirty posts as ICS' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.ics$/);
    const { readFileSync } = await import('node:fs');
    const ics = readFileSync((await file.path()) ?? '', 'utf8');
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics.match(/BEGIN:VEVENT/g)?.length).toBe(30);
  } finally {
    await app.close();
  }
});
