/** Item rows as the wire shows them: the calendar routes' mapping, plus the callbacks a row asks for. */
import { itemJson, type ItemRow } from '../storage/calendar';

export type { ItemRow };
export const itemWire = itemJson;

export function callbacksOf(row: ItemRow): { on_published?: string; on_failed?: string } {
  const raw = itemJson(row).callbacks as Record<string, unknown>;
  return {
    ...(typeof raw.on_published === 'string' ? { on_published: raw.on_published } : {}),
    ...(typeof raw.on_failed === 'string' ? { on_failed: raw.on_failed } : {}),
  };
}
