/** app.info, engine.*, settings.* and system.openExternal. */
import type { AppInfo, EngineStatus } from '../../../shared/bridge';
import { isSafeExternalUrl } from '../../security/url-policy';
import type { EmbeddedEngine } from '../../services/engine/embedded-engine';
import type { SettingsService } from '../../services/settings-service';
import type { BridgeHandlers } from '../dispatcher';

type AppMethods = 'app.info' | 'engine.status' | 'engine.stop' | 'engine.start' | 'settings.get' | 'settings.update' | 'system.openExternal';

export interface AppHandlerDeps {
  info: AppInfo;
  engine: EmbeddedEngine;
  embedded: () => boolean;
  status: () => EngineStatus;
  checkNow: () => Promise<EngineStatus>;
  settings: SettingsService;
  openExternal: (url: string) => Promise<boolean>;
  /** After the embedded engine (re)started: it may have had to take another port. */
  afterEngineStart?: () => Promise<void>;
}

export function appHandlers(deps: AppHandlerDeps): Pick<BridgeHandlers, AppMethods> {
  return {
    'app.info': () => deps.info,
    'engine.status': () => deps.status(),
    'engine.stop': async () => {
      if (deps.embedded()) await deps.engine.stop();
      return deps.checkNow();
    },
    'engine.start': async () => {
      if (deps.embedded()) {
        await deps.engine.start();
        await deps.afterEngineStart?.();
      }
      return deps.checkNow();
    },
    'settings.get': () => deps.settings.get(),
    'settings.update': (patch) => deps.settings.update(patch),
    'system.openExternal': async ({ url }) => ({ opened: isSafeExternalUrl(url) ? await deps.openExternal(url) : false }),
  };
}
