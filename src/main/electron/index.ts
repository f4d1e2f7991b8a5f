/**
 * The Electron host: a thin shell around the shared core. It owns the window, the tray, the
 * ports (safeStorage, electron-store, Notification) and the IPC transport; every decision
 * about security lives in small pure functions next to this file.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, shell } from 'electron';
import { createCore, type CadenceCore } from '../core';
import { isAppNavigation, isSafeExternalUrl } from '../security/url-policy';
import { parseLaunchArgs } from './cli-args';
import { electronHostPorts } from './electron-ports';
import { registerIpcTransport } from './ipc-transport';
import { trayMenuModel, upcomingItems } from '../services/notifications/notification-service';
import { createTray } from './tray';
import { mainWindowOptions } from './window-options';

const args = parseLaunchArgs(process.argv.slice(1));
if (args.dataDir) app.setPath('userData', resolve(args.dataDir));

let mainWindow: BrowserWindow | null = null;
let core: CadenceCore | null = null;
let quitting = false;

const here = dirname(fileURLToPath(import.meta.url));
const devServerUrl = process.env.ELECTRON_RENDERER_URL ?? null;
const rendererIndex = join(here, '../renderer/index.html');
const appOrigin = devServerUrl ? new URL(devServerUrl).origin : null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(join(here, '../preload/index.cjs'), join(here, '../../resources/icon.png')));
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppNavigation(url, appOrigin)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.on('close', (event) => {
    // Closing the window keeps Cadence in the tray, so reminders still arrive.
    if (!quitting) {
      event.preventDefault();
      win.hide();
    }
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

function showWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) mainWindow = createWindow();
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppNavigation(url, appOrigin)) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    if (core) {
      event.preventDefault();
      const stopping = core;
      core = null;
      void stopping.stop().finally(() => app.quit());
    }
  });

  void app.whenReady().then(async () => {
    const dataDir = app.getPath('userData');
    // Paused from the tray; read by the native notifier.
    const ports = await electronHostPorts(dataDir, () => core?.services.notifications.paused ?? false);
    core = createCore({
      host: 'electron',
      version: app.getVersion(),
      dataDir,
      ports,
      connection:
        args.apiUrl && args.apiKey
          ? { mode: 'remote', apiUrl: args.apiUrl, apiKey: args.apiKey, ...(args.signingSecret ? { signingSecret: args.signingSecret } : {}) }
          : { mode: 'embedded' },
      openExternal: async (url) => {
        await shell.openExternal(url);
        return true;
      },
    });
    registerIpcTransport(core, () => mainWindow, { origin: appOrigin, indexPath: devServerUrl ? null : rendererIndex });
    await core.start();
    mainWindow = createWindow();
    const started = core;
    const model = () =>
      trayMenuModel(
        upcomingItems(started.services.cache, Date.now(), 3),
        started.services.notifications.paused,
        started.services.notifications.zone(),
      );
    const tray = createTray(
      join(here, '../../resources/tray.png'),
      {
        open: showWindow,
        quit: () => {
          quitting = true;
          app.quit();
        },
        togglePause: () => {
          started.services.notifications.paused = !started.services.notifications.paused;
          tray.update(model());
        },
      },
      model(),
    );
    // The next three items follow the calendar (and the clock).
    started.events.subscribe((event) => {
      if (event === 'data.changed') tray.update(model());
    });
    setInterval(() => tray.update(model()), 60_000).unref();
  });
}

