/** The Electron host's ports: safeStorage for secrets, electron-store for settings, native notifications. */
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Notification, safeStorage } from 'electron';
import { z } from 'zod';
import type { Settings } from '../../shared/bridge';
import { systemClock, type HostPorts, type Notifier, type SecretStore, type SettingsStore } from '../ports';

const SealedSchema = z.record(z.string(), z.string());

/** Secrets sealed by the OS keychain; refuses when Electron would only obfuscate them. */
export class SafeStorageSecretStore implements SecretStore {
  private readonly path: string;
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'secrets.sealed.json');
  }
  unavailableReason(): string | null {
    if (!safeStorage.isEncryptionAvailable()) return 'the operating system offers no encryption for stored secrets';
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
      return 'no keyring (GNOME Keyring or KWallet) is running, so secrets would be stored as plain text';
    }
    return null;
  }
  private read(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    const parsed = SealedSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
    return parsed.success ? parsed.data : {};
  }
  private write(all: Record<string, string>): void {
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(all), { mode: 0o600 });
    renameSync(temp, this.path);
  }
  async get(name: string): Promise<string | null> {
    const sealed = this.read()[name];
    if (!sealed || this.unavailableReason()) return null;
    return safeStorage.decryptString(Buffer.from(sealed, 'base64'));
  }
  async set(name: string, value: string): Promise<void> {
    const reason = this.unavailableReason();
    if (reason) throw new Error(`cannot store the secret safely: ${reason}`);
    this.write({ ...this.read(), [name]: safeStorage.encryptString(value).toString('base64') });
  }
  async delete(name: string): Promise<void> {
    const all = this.read();
    delete all[name];
    this.write(all);
  }
}

interface StoreLike {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export class ElectronStoreSettings implements SettingsStore {
  constructor(private readonly store: StoreLike) {}
  load(): Settings {
    return this.store.get('settings') as Settings;
  }
  save(settings: Settings): void {
    this.store.set('settings', settings);
  }
}

export function nativeNotifier(paused: () => boolean): Notifier {
  return {
    notify(notification) {
      if (paused() || !Notification.isSupported()) return;
      new Notification({ title: notification.title, body: notification.body }).show();
    },
  };
}

export async function electronHostPorts(userDataDir: string, paused: () => boolean): Promise<HostPorts> {
  // electron-store 10 is ESM-only; loaded lazily so this module stays importable in tests.
  const { default: Store } = await import('electron-store');
  const store = new Store({ name: 'settings', cwd: userDataDir });
  return {
    clock: systemClock,
    secrets: new SafeStorageSecretStore(userDataDir),
    settings: new ElectronStoreSettings(store as unknown as StoreLike),
    notifier: nativeNotifier(paused),
  };
}
