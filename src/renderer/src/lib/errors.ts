/** Turns a bridge error into what a form shows: one message per field path, plus the rest. */
import type { BridgeError } from '../../../shared/bridge';

export interface FormErrors {
  /** Keyed by the contract's path (`items[0].scheduled_time`). */
  fields: Record<string, string>;
  /** What belongs to no field on screen. */
  general: string | null;
}

export function emptyErrors(): FormErrors {
  return { fields: {}, general: null };
}

/**
 * Bridge validation paths may be prefixed by the method's input shape (`item.scheduled_time` for
 * items.add); `strip` removes such a prefix so the form's own paths match.
 */
export function toFormErrors(error: BridgeError, known: string[], strip: string[] = []): FormErrors {
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const detail of error.details ?? []) {
    let path = detail.path;
    for (const prefix of strip) if (path.startsWith(`${prefix}.`)) path = path.slice(prefix.length + 1);
    if (known.includes(path)) fields[path] = fields[path] ? `${fields[path]}; ${detail.message}` : detail.message;
    else unplaced.push(`${detail.path}: ${detail.message}`);
  }
  const general = Object.keys(fields).length === 0 ? error.message : unplaced.length > 0 ? unplaced.join('; ') : null;
  return { fields, general };
}

export function describe(error: BridgeError): string {
  if (error.code === 'unavailable' && /not available in this build/.test(error.message)) {
    return `${error.message}.`;
  }
  return error.message;
}
