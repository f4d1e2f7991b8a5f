/**
 * Runs sandboxed: exposes exactly one object, `window.cadence`, with two functions. The
 * renderer gets no ipcRenderer, no Node, and no way to name a channel of its own.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../shared/ipc';

contextBridge.exposeInMainWorld('cadence', {
  invoke: (method: string, input: unknown): Promise<unknown> => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, input),
  on: (listener: (event: string, payload: unknown) => void): (() => void) => {
    const forward = (_event: IpcRendererEvent, name: string, payload: unknown) => listener(name, payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
  },
});
