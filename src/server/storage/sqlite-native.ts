/**
 * better-sqlite3 is a native module, built for the ABI of the Node that ran `npm install`.
 * Electron's main process has another ABI, so `npm start` builds a second copy for Electron and
 * names it in CADENCE_SQLITE_BINDING; Node (tests, web host, standalone server) uses the default.
 */
import type SQLite from 'better-sqlite3';

export function sqliteOptions(): SQLite.Options {
  const binding = process.env.CADENCE_SQLITE_BINDING;
  return binding && process.versions.electron ? { nativeBinding: binding } : {};
}
