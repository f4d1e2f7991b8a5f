import { Menu, Tray, nativeImage } from 'electron';

export interface TrayActions {
  open(): void;
  quit(): void;
}

/** The tray icon and its menu; later entries (upcoming items, pause) are added by the services. */
export function createTray(iconPath: string, actions: TrayActions): Tray {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.setToolTip('Cadence');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open Cadence', click: () => actions.open() },
      { type: 'separator' },
      { label: 'Quit', click: () => actions.quit() },
    ]),
  );
  tray.on('click', () => actions.open());
  return tray;
}
