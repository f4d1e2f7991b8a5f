/// <reference types="vite/client" />
import type { BridgeTransport } from '../../shared/bridge';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  interface Window {
    /** Present only in the Electron host, exposed by the preload through contextBridge. */
    cadence?: BridgeTransport;
  }
}

export {};
