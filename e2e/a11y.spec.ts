// Every view, in both themes, has no serious or critical axe violations.
import { expect, test } from '@playwright/test';
import { axeProblems, goTo, openApp, shot } from './support/app';

const VIEWS = ['Calendar', 'Recommendations', 'Schedules', 'Optimization', 'Activity', 'Queued changes', 'Import & export', 'Settings'];

test('axe: every view in light and dark themes', async ({ page }) => {
  test.setTimeout(90_000);
  const app = await openApp(page);
  try {
    const problems: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await app.bridge.value('settings.update', { theme });
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      for (const view of VIEWS) {
        await goTo(page, view);
        await expect(page.getByRole('heading', { level: 1, name: view === 'Queued changes' ? 'Queued changes' : view })).toBeVisible();
        await page.waitForTimeout(150);
        for (const line of await axeProblems(page)) problems.push(`[${theme}] ${view}: ${line}`);
        await shot(page, `a11y-${theme}-${view.replace(/\W+/g, '-').toLowerCase()}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  } finally {
    await app.close();
  }
});
