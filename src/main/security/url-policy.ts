/** Which links the app hands to the operating system's browser: https to a public host only. */
export function isSafeExternalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:') return false;
  if (url.username || url.password) return false;
  const host = url.hostname.toLowerCase();
  if (!host.includes('.') || host.endsWith('.local') || host.endsWith('.internal') || host === 'localhost') return false;
  // IP literals: a link the user clicks should name a site, not an address.
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[')) return false;
  return true;
}

/**
 * Whether the renderer may navigate to `target` in place: only to the app's own origin
 * (the dev server or the web host) or its own file:// bundle.
 */
export function isAppNavigation(target: string, appOrigin: string | null): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (appOrigin === null) return url.protocol === 'file:';
  return url.origin === appOrigin;
}
