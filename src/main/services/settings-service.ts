import { SettingsSchema, type Settings, type SettingsPatch } from '../../shared/bridge';
import type { SettingsStore } from '../ports';

export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({ theme: 'system', displayTimeZone: null });

/** Reads settings through the host's store, repairing anything that no longer parses. */
export class SettingsService {
  private current: Settings;

  constructor(
    private readonly store: SettingsStore,
    private readonly onChange: (settings: Settings) => void,
  ) {
    const loaded = SettingsSchema.safeParse(safeLoad(store));
    this.current = loaded.success ? loaded.data : { ...DEFAULT_SETTINGS };
  }

  get(): Settings {
    return this.current;
  }

  update(patch: SettingsPatch): Settings {
    const next = SettingsSchema.parse({ ...this.current, ...patch });
    this.store.save(next);
    this.current = next;
    this.onChange(next);
    return next;
  }
}

function safeLoad(store: SettingsStore): unknown {
  try {
    return store.load();
  } catch {
    return DEFAULT_SETTINGS;
  }
}
