/** The web host's implementations of the main-process ports: files in the data dir, bridge events. */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Settings } from '../../shared/bridge';
import type { BridgeEventHub } from '../bridge/event-hub';
import { systemClock, type HostPorts, type Notifier, type SecretStore, type SettingsStore } from '../ports';

/** Writes via a temp file and rename, so a crash never leaves half a file. */
function writeFileAtomic(path: string, content: string, mode: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, path);
}

const SecretsFileSchema = z.record(z.string(), z.string());

/** Secrets in a file only the user can read (0600); there is no OS keychain in the web host. */
export class FileSecretStore implements SecretStore {
  private readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'secrets.json');
  }
  unavailableReason(): string | null {
    return null;
  }
  private read(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    const parsed = SecretsFileSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
    return parsed.success ? parsed.data : {};
  }
  async get(name: string): Promise<string | null> {
    return this.read()[name] ?? null;
  }
  async set(name: string, value: string): Promise<void> {
    writeFileAtomic(this.path, JSON.stringify({ ...this.read(), [name]: value }), 0o600);
  }
  async delete(name: string): Promise<void> {
    const all = this.read();
    delete all[name];
    writeFileAtomic(this.path, JSON.stringify(all), 0o600);
  }
}

export class JsonFileSettingsStore implements SettingsStore {
  private readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'settings.json');
  }
  load(): Settings {
    // Parsed by SettingsService against the contract; anything broken falls back to defaults there.
    return JSON.parse(readFileSync(this.path, 'utf8')) as Settings;
  }
  save(settings: Settings): void {
    writeFileAtomic(this.path, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
  }
}

/** In the browser, notifications become bridge events the renderer shows as toasts. */
export function bridgeNotifier(events: () => BridgeEventHub | null): Notifier {
  return {
    notify(notification) {
      events()?.emit('notification', notification);
    },
  };
}

export function webHostPorts(dataDir: string, events: () => BridgeEventHub | null): HostPorts {
  return {
    clock: systemClock,
    secrets: new FileSecretStore(dataDir),
    settings: new JsonFileSettingsStore(dataDir),
    notifier: bridgeNotifier(events),
  };
}
