import type { BridgeError } from '../../shared/bridge';
import type { ErrorDetail } from '../../shared/api/common';

/** A failure a handler reports on purpose; it crosses the bridge as `{ok: false, error}`. */
export class BridgeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly data?: unknown,
  ) {
    super(message);
  }

  toBridgeError(): BridgeError {
    return {
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
      ...(this.data !== undefined ? { data: this.data } : {}),
    };
  }
}
