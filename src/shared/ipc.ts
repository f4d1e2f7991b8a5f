/** Electron IPC channel names (kept apart from bridge.ts so the preload bundle stays tiny). */
export const IPC_INVOKE_CHANNEL = 'cadence:invoke';
export const IPC_EVENT_CHANNEL = 'cadence:event';
