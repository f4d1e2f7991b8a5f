/**
 * The one dispatcher behind both transports (Electron IPC and the web host's socket). It never
 * trusts the caller: the method name must be in the contract and the input must parse with the
 * method's schema before any service sees it. Errors come back as data, never as throws.
 */
import { issuesToDetails } from '../../shared/api/common';
import {
  bridgeMethods,
  isBridgeMethodName,
  type BridgeMethodName,
  type BridgeOutput,
  type BridgeParsedInput,
  type BridgeResult,
} from '../../shared/bridge';
import { BridgeFailure } from './errors';

export type BridgeHandlers = {
  [M in BridgeMethodName]: (input: BridgeParsedInput<M>) => Promise<BridgeOutput<M>> | BridgeOutput<M>;
};

export interface Dispatcher {
  dispatch(method: unknown, input: unknown): Promise<BridgeResult<unknown>>;
}

export interface DispatcherOptions {
  onUnexpectedError?: (method: string, error: unknown) => void;
}

export function createDispatcher(handlers: BridgeHandlers, options: DispatcherOptions = {}): Dispatcher {
  return {
    async dispatch(method, input) {
      if (!isBridgeMethodName(method)) {
        return {
          ok: false,
          error: { code: 'unknown_method', message: `unknown bridge method ${JSON.stringify(method)}`.slice(0, 200) },
        };
      }
      const spec = bridgeMethods[method];
      const parsed = spec.input.safeParse(input ?? {});
      if (!parsed.success) {
        const details = issuesToDetails(parsed.error);
        const first = details[0];
        return {
          ok: false,
          error: {
            code: 'validation_failed',
            message: first ? `${method}: ${first.path}: ${first.message}` : `${method}: invalid input`,
            details,
          },
        };
      }
      try {
        const handler = handlers[method] as (input: unknown) => Promise<unknown> | unknown;
        const value = await handler(parsed.data);
        // Our own output is checked too: a contract drift shows up here, not in the renderer.
        const checked = spec.output.safeParse(value);
        if (!checked.success) {
          options.onUnexpectedError?.(method, checked.error);
          return { ok: false, error: { code: 'internal', message: `${method} produced an invalid result`, details: issuesToDetails(checked.error) } };
        }
        return { ok: true, value: checked.data };
      } catch (error) {
        if (error instanceof BridgeFailure) return { ok: false, error: error.toBridgeError() };
        options.onUnexpectedError?.(method, error);
        return { ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } };
      }
    },
  };
}
