import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { trayMenuModel } from '../services/notifications/notification-service';

export interface TrayActions {
  open(): void;
  quit(): void;
  togglePause(): void;
}

export type TrayModel = ReturnType<typeof trayMenuModel>;

/** Turns the pure menu model (next items, pause toggle) into Electron's menu. */
function toMenu(model: TrayModel, actions: TrayActions): Menu {
  const template: MenuItemConstructorOptions[] = [];
  for (const entry of model) {
    if (entry.action === 'toggle-pause' || entry.action === 'quit') template.push({ type: 'separator' });
    template.push({
      label: entry.label,
      enabled: entry.enabled,
      click:
        entry.action === 'open' ? () => actions.open() : entry.action === 'toggle-pause' ? () => actions.togglePause() : entry.action === 'quit' ? () => actions.quit() : undefined,
    });
  }
  return Menu.buildFromTemplate(template);
}

/** The tray icon; `update` re-renders its menu (called when the calendar changes). */
export function createTray(iconPath: string, actions: TrayActions, initial: TrayModel): { tray: Tray; update(model: TrayModel): void } {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.setToolTip('Cadence');
  tray.setContextMenu(toMenu(initial, actions));
  tray.on('click', () => actions.open());
  return { tray, update: (model) => tray.setContextMenu(toMenu(model, actions)) };
}
