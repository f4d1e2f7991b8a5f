// Settings → Account: the embedded engine's key is listed as the one this app uses (no revoke
// offered); a plain-http webhook and one on the cloud metadata address are refused next to the
// field; a public one is saved, its signing secret shown once, and removed again.
import { expect, test } from '@playwright/test';
import { goTo, openApp, shot } from './support/app';

test('account: keys listed, webhook refused by field, saved with its secret once, removed', async ({ page }) => {
  const app = await openApp(page);
  try {
    await goTo(page, 'Settings');
    const keys = page.getByRole('table', { name: "The account's keys" });
    const inUse = keys.getByRole('row').filter({ hasText: 'In use by this app' });
    await expect(inUse).toHaveCount(1);
    await expect(inUse.getByRole('button')).toHaveCount(0);

    const url = page.getByLabel('Webhook URL');
    await url.fill('http://hooks.example.com/cadence');
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await expect(url).toHaveAttribute('aria-invalid', 'true');
    await expect(url).toHaveAccessibleDescription(/must be an https URL/);
    await url.fill('https://169.254.169.254/hook');
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await expect(url).toHaveAccessibleDescription(/169\.254\.169\.254|link-local|metadata|not allowed/i);
    await shot(page, 'settings-account-webhook-refused');
    expect(await app.bridge.value('account.webhook')).toBeNull();

    await url.fill('https://hooks.example.com/cadence');
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await expect(page.getByRole('status', { name: 'New signing secret' })).toContainText(/whsec_/);
    await expect(page.getByText('Delivering to https://hooks.example.com/cadence')).toBeVisible();
    await shot(page, 'settings-account-webhook');
    expect(await app.bridge.value<{ url: string; secret?: string }>('account.webhook')).toMatchObject({ url: 'https://hooks.example.com/cadence' });

    await page.getByRole('button', { name: 'Remove webhook' }).click();
    await expect(page.getByText('No webhook is set.')).toBeVisible();
    await expect(page.getByRole('status', { name: 'New signing secret' })).toHaveCount(0);
    expect(await app.bridge.value('account.webhook')).toBeNull();
  } finally {
    await app.close();
  }
});
