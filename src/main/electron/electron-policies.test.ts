// The Electron layer's decisions are pure functions, so they are tested under Node.
import { describe, expect, it } from 'vitest';
import { isTrustedSender } from './sender-policy';
import { mainWindowOptions } from './window-options';

describe('main window options', () => {
  const options = mainWindowOptions('/app/out/preload/index.cjs');
  it('isolates and sandboxes the renderer', () => {
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/out/preload/index.cjs',
    });
  });
});

describe('IPC sender check', () => {
  const base = {
    senderWebContentsId: 7,
    trustedWebContentsId: 7,
    appOrigin: null,
    appIndexPath: '/app/out/renderer/index.html',
    senderFrame: { url: 'file:///app/out/renderer/index.html', parent: null },
  };
  it('trusts the main frame of our window on our page', () => {
    expect(isTrustedSender(base)).toBe(true);
  });
  it('refuses subframes, other windows, other pages and missing frames', () => {
    expect(isTrustedSender({ ...base, senderFrame: { url: base.senderFrame.url, parent: {} } })).toBe(false);
    expect(isTrustedSender({ ...base, senderWebContentsId: 8 })).toBe(false);
    expect(isTrustedSender({ ...base, trustedWebContentsId: null })).toBe(false);
    expect(isTrustedSender({ ...base, senderFrame: { url: 'file:///tmp/evil.html', parent: null } })).toBe(false);
    expect(isTrustedSender({ ...base, senderFrame: { url: 'https://evil.example/', parent: null } })).toBe(false);
    expect(isTrustedSender({ ...base, senderFrame: null })).toBe(false);
  });
  it('in dev, trusts only the dev server origin', () => {
    const dev = { ...base, appOrigin: 'http://localhost:5173', appIndexPath: null };
    expect(isTrustedSender({ ...dev, senderFrame: { url: 'http://localhost:5173/', parent: null } })).toBe(true);
    expect(isTrustedSender({ ...dev, senderFrame: { url: 'http://localhost:5174/', parent: null } })).toBe(false);
  });
});
