/**
 * What the main-process services need from their host. The Electron layer implements these
 * with safeStorage, Notification/Tray and electron-store; the web host with files and bridge
 * events. Services never import electron.
 */
import type { Settings } from '../shared/bridge';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Secrets (API key, signing secret). Implementations refuse rather than store insecurely. */
export interface SecretStore {
  /** Why secrets cannot be stored here, or null when they can. */
  unavailableReason(): string | null;
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface SettingsStore {
  load(): Settings;
  save(settings: Settings): void;
}

export interface Notification {
  /** Stable id: the same notification is never shown twice, across restarts too. */
  id: string;
  title: string;
  body: string;
  kind: 'published' | 'failed' | 'due_soon' | 'info';
}

export interface Notifier {
  notify(notification: Notification): void;
}

export interface HostPorts {
  clock: Clock;
  secrets: SecretStore;
  settings: SettingsStore;
  notifier: Notifier;
}
