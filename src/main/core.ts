/**
 * The composition root shared by both hosts: it builds the main-process services from the
 * host's ports and exposes them as one dispatcher plus one event hub. The Electron host wires
 * these to IPC, the web host to a loopback WebSocket; nothing here knows which.
 */
import { mkdirSync } from 'node:fs';
import type { AppInfo, EngineStatus } from '../shared/bridge';
import { appHandlers } from './bridge/handlers/app';
import { calendarHandlers } from './bridge/handlers/calendar';
import { connectionHandlers } from './bridge/handlers/connection';
import { insightHandlers } from './bridge/handlers/insights';
import { accountHandlers } from './bridge/handlers/account';
import { outboxHandlers } from './bridge/handlers/outbox';
import { createDispatcher, type BridgeHandlers, type Dispatcher } from './bridge/dispatcher';
import { BridgeEventHub } from './bridge/event-hub';
import type { HostPorts } from './ports';
import { EmbeddedEngine } from './services/engine/embedded-engine';
import { EngineMonitor } from './services/engine/engine-monitor';
import { MainServices, type MainServicesOptions } from './services/main-services';
import { SettingsService } from './services/settings-service';

export type ConnectionConfig =
  | { mode: 'embedded'; enginePort?: number }
  | { mode: 'remote'; apiUrl: string; apiKey: string; signingSecret?: string };

export interface CoreOptions {
  host: AppInfo['host'];
  version: string;
  dataDir: string;
  ports: HostPorts;
  /** Embedded, or remote credentials from the command line (used for this session, not stored). */
  connection: ConnectionConfig;
  /** Opens a vetted https URL in the user's browser; the web host cannot and returns false. */
  openExternal: (url: string) => Promise<boolean>;
  engineProbeIntervalMs?: number;
  /** Tuning for tests: client retries, live heartbeat, how long a write waits. */
  tuning?: Pick<MainServicesOptions, 'client' | 'live' | 'interactiveWaitMs' | 'syncRetry' | 'syncPageSize'>;
}

export interface CadenceCore {
  dispatcher: Dispatcher;
  events: BridgeEventHub;
  services: MainServices;
  engineStatus(): EngineStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createCore(options: CoreOptions): CadenceCore {
  mkdirSync(options.dataDir, { recursive: true });
  const events = new BridgeEventHub();
  const { connection } = options;
  const engine = new EmbeddedEngine({ dataDir: options.dataDir, port: connection.mode === 'embedded' ? (connection.enginePort ?? 0) : 0 });
  const settings = new SettingsService(options.ports.settings, (next) => events.emit('settings.changed', next));
  const services = new MainServices({
    dataDir: options.dataDir,
    ports: options.ports,
    engine,
    override: connection.mode === 'remote' ? { apiUrl: connection.apiUrl, apiKey: connection.apiKey, signingSecret: connection.signingSecret } : null,
    emit: (event, payload) => events.emit(event, payload),
    settings: () => settings.get(),
    ...options.tuning,
  });
  const embedded = () => services.connection.currentMode === 'embedded';

  const makeMonitor = () =>
    new EngineMonitor({
      mode: services.connection.currentMode,
      clock: options.ports.clock,
      intervalMs: options.engineProbeIntervalMs ?? 1000,
      // A stopped embedded engine keeps its URL (to reuse the port), but there is nothing to probe.
      baseUrl: () => (embedded() ? (engine.running ? engine.url : null) : (services.resolved?.baseUrl ?? null)),
      onChange: (status) => events.emit('engine.status', status),
    });
  let monitor = makeMonitor();
  let running = false;

  const userZone = () => settings.get().displayTimeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const handlers: BridgeHandlers = {
    ...appHandlers({
      info: { name: 'Cadence', version: options.version, host: options.host, dataDir: options.dataDir },
      engine,
      embedded,
      status: () => monitor.current,
      checkNow: () => monitor.checkNow(),
      settings,
      openExternal: options.openExternal,
      afterEngineStart: async () => {
        if (services.resolved && engine.url && services.resolved.baseUrl !== engine.url.replace(/\/+$/, '')) await services.connect();
      },
    }),
    ...connectionHandlers(services, options.ports.clock, events, async () => {
      // The embedded engine runs only while it is the connection.
      if (!embedded()) await engine.stop();
      monitor.stop();
      monitor = makeMonitor();
      if (running) monitor.start();
    }),
    ...calendarHandlers(services, options.ports.clock),
    ...insightHandlers(services, options.ports.clock, userZone, (scope) => events.emit('data.changed', { scopes: [scope] })),
    ...outboxHandlers(services),
    ...accountHandlers(services),
  };

  return {
    dispatcher: createDispatcher(handlers, {
      onUnexpectedError: (method, error) => process.stderr.write(`bridge ${method} failed: ${String(error)}\n`),
    }),
    events,
    services,
    engineStatus: () => monitor.current,
    async start() {
      running = true;
      if (services.cache.problem) process.stderr.write(`cache: ${services.cache.problem}\n`);
      try {
        // Starts the embedded engine when it is the connection (first run: creates its key).
        await services.start();
      } catch (error) {
        // The app still opens (cache, settings); the status bar says why the engine is down.
        process.stderr.write(`connection failed to start: ${String(error)}\n`);
      }
      monitor.start();
      await monitor.checkNow();
    },
    async stop() {
      running = false;
      monitor.stop();
      await services.stop();
      await engine.stop();
      services.close();
    },
  };
}
