/** Carries the bridge over Electron IPC: one invoke channel in, one event channel out. */
import { ipcMain, type BrowserWindow } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../shared/ipc';
import type { CadenceCore } from '../core';
import { isTrustedSender } from './sender-policy';

export function registerIpcTransport(
  core: CadenceCore,
  window: () => BrowserWindow | null,
  app: { origin: string | null; indexPath: string | null },
): () => void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, method: unknown, input: unknown) => {
    const win = window();
    const trusted = isTrustedSender({
      senderWebContentsId: event.sender.id,
      senderFrame: event.senderFrame ? { url: event.senderFrame.url, parent: event.senderFrame.parent } : null,
      trustedWebContentsId: win ? win.webContents.id : null,
      appOrigin: app.origin,
      appIndexPath: app.indexPath,
    });
    if (!trusted) return { ok: false, error: { code: 'forbidden', message: 'sender is not the Cadence window' } };
    return core.dispatcher.dispatch(method, input);
  });
  const unsubscribe = core.events.subscribe((name, payload) => {
    const win = window();
    if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
  };
}
