// Every view, in both themes, has no serious or critical axe violations: empty (first run) and
// with data (events in the calendar, recommendations with heatmaps, an optimization diff, the
// editor dialog and the details panel open).
import { expect, test, type Page } from '@playwright/test';
import { axeProblems, goTo, openApp, shot, type App } from './support/app';

const VIEWS = ['Calendar', 'Recommendations', 'Schedules', 'Optimization', 'Activity', 'Queued changes', 'Import & export', 'Settings'];

/**
 * Full WCAG 2.1 A/AA rule set in the light theme; in the dark theme only what a theme changes
 * (colour contrast), which keeps the suite inside its time budget.
 */
async function check(page: Page, problems: string[], label: string): Promise<void> {
  const only = label.startsWith('dark') ? ['color-contrast', 'link-in-text-block'] : undefined;
  for (const line of await axeProblems(page, only)) problems.push(`${label}: ${line}`);
  await shot(page, `a11y-${label.replace(/\W+/g, '-').toLowerCase()}`);
}

async function setTheme(app: App, page: Page, theme: 'light' | 'dark'): Promise<void> {
  await app.bridge.value('settings.update', { theme });
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}

test('axe: first run (empty calendar with the welcome panel), both themes', async ({ page }) => {
  const app = await openApp(page);
  try {
    const problems: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(app, page, theme);
      await expect(page.getByRole('heading', { name: 'Welcome to Cadence' })).toBeVisible();
      await check(page, problems, `${theme} first run`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  } finally {
    await app.close();
  }
});

test('axe: every view with data, dialogs and panels open, both themes', async ({ page }) => {
  test.setTimeout(120_000);
  const app = await openApp(page);
  try {
    const base = new Date(Date.now() + 86_400_000);
    base.setUTCHours(6, 0, 0, 0);
    const items = Array.from({ length: 12 }, (_, i) => ({
      content_id: `a11y-${i + 1}`,
      platform: ['tiktok', 'instagram', 'youtube', 'linkedin'][i % 4],
      scheduled_time: new Date(base.getTime() + i * 7 * 3_600_000).toISOString().replace('.000Z', 'Z'),
    }));
    await app.bridge.value('schedules.create', { title: 'Accessible week', timezone: 'Europe/Berlin', items });
    const problems: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(app, page, theme);
      await goTo(page, 'Calendar');
      await page.evaluate((d) => (window as unknown as { __cadenceCalendar: { gotoDate(d: string): void } }).__cadenceCalendar.gotoDate(d), base.toISOString());
      await page.getByRole('button', { name: /: a11y-1, / }).click();
      await expect(page.getByRole('complementary', { name: 'a11y-1' })).toBeVisible();
      await check(page, problems, `${theme} calendar with details`);
      // Week and list views use the same colours as month: one theme each keeps the suite short.
      if (theme === 'light') {
        await page.getByRole('tab', { name: 'Week view' }).click();
        await expect(page.getByRole('button', { name: /: a11y-1, / })).toBeVisible();
        await check(page, problems, `${theme} week view`);
      } else {
        await page.getByRole('tab', { name: 'List view' }).click();
        await expect(page.getByRole('button', { name: /: a11y-1, / })).toBeVisible();
        await check(page, problems, `${theme} list view`);
      }
      await page.getByRole('button', { name: 'New post' }).click();
      await expect(page.getByRole('dialog', { name: 'Schedule a post' })).toBeVisible();
      await check(page, problems, `${theme} editor dialog`);
      await page.keyboard.press('Escape');

      await goTo(page, 'Recommendations');
      await page.getByRole('button', { name: 'Get recommendations' }).click();
      await expect(page.getByRole('gridcell').first()).toBeAttached();
      await check(page, problems, `${theme} recommendations with heatmaps`);

      await goTo(page, 'Schedules');
      await expect(page.getByRole('rowheader', { name: /Accessible week/ })).toBeVisible();
      await check(page, problems, `${theme} schedules list`);

      await goTo(page, 'Optimization');
      await page.getByRole('button', { name: 'Run optimization' }).click();
      await expect(page.getByTestId('optimize-summary')).toBeVisible();
      await check(page, problems, `${theme} optimization diff`);

      await goTo(page, 'Activity');
      await expect(page.getByRole('list', { name: 'Activity feed' }).getByRole('listitem').first()).toBeVisible();
      await check(page, problems, `${theme} activity feed`);

      for (const view of VIEWS.slice(5)) {
        await goTo(page, view);
        await expect(page.getByRole('heading', { level: 1, name: view })).toBeVisible();
        await check(page, problems, `${theme} ${view}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  } finally {
    await app.close();
  }
});
