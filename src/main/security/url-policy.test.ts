import { describe, expect, it } from 'vitest';
import { isAppNavigation, isSafeExternalUrl } from './url-policy';

describe('external URL policy', () => {
  it.each(['https://www.youtube.com/watch?v=1', 'https://help.cadence.example/docs'])('opens %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(true);
  });
  it.each([
    'http://example.com',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'https://user:pass@example.com',
    'https://localhost/x',
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://intranet/',
    'https://printer.local/',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(false);
  });
});

describe('in-app navigation policy', () => {
  it('allows only the app origin in dev, only file: when packaged', () => {
    expect(isAppNavigation('http://localhost:5173/#/calendar', 'http://localhost:5173')).toBe(true);
    expect(isAppNavigation('https://evil.example/', 'http://localhost:5173')).toBe(false);
    expect(isAppNavigation('file:///app/out/renderer/index.html', null)).toBe(true);
    expect(isAppNavigation('https://evil.example/', null)).toBe(false);
  });
});
