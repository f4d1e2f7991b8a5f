/**
 * The composition root shared by both hosts: it builds the main-process services from the
 * host's ports and exposes them as one dispatcher plus one event hub. The Electron host wires
 * these to IPC, the web host to a loopback WebSocket; nothing here knows which.
 */
import { mkdirSync } from 'node:fs';
import { bridgeMethods, type AppInfo, type BridgeMethodName, type EngineStatus } from '../shared/bridge';
import { BridgeFailure } from './bridge/errors';
import { createDispatcher, type BridgeHandlers, type Dispatcher } from './bridge/dispatcher';
import { BridgeEventHub } from './bridge/event-hub';
import type { HostPorts } from './ports';
import { isSafeExternalUrl } from './security/url-policy';
import { EmbeddedEngine } from './services/engine/embedded-engine';
import { EngineMonitor } from './services/engine/engine-monitor';
import { SettingsService } from './services/settings-service';

export type ConnectionConfig = { mode: 'embedded'; enginePort?: number } | { mode: 'remote'; apiUrl: string; apiKey: string };

export interface CoreOptions {
  host: AppInfo['host'];
  version: string;
  dataDir: string;
  ports: HostPorts;
  connection: ConnectionConfig;
  /** Opens a vetted https URL in the user's browser; the web host cannot and returns false. */
  openExternal: (url: string) => Promise<boolean>;
  engineProbeIntervalMs?: number;
}

export interface CadenceCore {
  dispatcher: Dispatcher;
  events: BridgeEventHub;
  engineStatus(): EngineStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createCore(options: CoreOptions): CadenceCore {
  mkdirSync(options.dataDir, { recursive: true });
  const events = new BridgeEventHub();
  const { connection } = options;
  const engine = connection.mode === 'embedded' ? new EmbeddedEngine({ dataDir: options.dataDir, port: connection.enginePort ?? 0 }) : null;
  const monitor = new EngineMonitor({
    mode: connection.mode,
    clock: options.ports.clock,
    intervalMs: options.engineProbeIntervalMs ?? 1000,
    baseUrl: () => (engine ? engine.url : connection.mode === 'remote' ? connection.apiUrl.replace(/\/+$/, '') : null),
    onChange: (status) => events.emit('engine.status', status),
  });
  const settings = new SettingsService(options.ports.settings, (next) => events.emit('settings.changed', next));

  // Contract methods whose services are still being built answer with a clear error, never a fake value.
  const notYetAvailable = (method: string) => () => {
    throw new BridgeFailure('unavailable', `${method} is not available in this build yet`);
  };
  const pending = Object.fromEntries(
    (Object.keys(bridgeMethods) as BridgeMethodName[]).map((name) => [name, notYetAvailable(name)]),
  ) as unknown as BridgeHandlers;

  const handlers: BridgeHandlers = {
    ...pending,
    'app.info': () => ({ name: 'Cadence', version: options.version, host: options.host, dataDir: options.dataDir }),
    'engine.status': () => monitor.current,
    'engine.stop': async () => {
      if (engine) await engine.stop();
      return monitor.checkNow();
    },
    'engine.start': async () => {
      if (engine) await engine.start();
      return monitor.checkNow();
    },
    'settings.get': () => settings.get(),
    'settings.update': (patch) => settings.update(patch),
    'system.openExternal': async ({ url }) => ({ opened: isSafeExternalUrl(url) ? await options.openExternal(url) : false }),
  };

  return {
    dispatcher: createDispatcher(handlers, {
      onUnexpectedError: (method, error) => process.stderr.write(`bridge ${method} failed: ${String(error)}\n`),
    }),
    events,
    engineStatus: () => monitor.current,
    async start() {
      if (engine) {
        try {
          await engine.start();
        } catch (error) {
          // The app still opens (cache, settings); the status bar says why the engine is down.
          process.stderr.write(`embedded engine failed to start: ${String(error)}\n`);
        }
      }
      monitor.start();
      await monitor.checkNow();
    },
    async stop() {
      monitor.stop();
      if (engine) await engine.stop();
    },
  };
}
