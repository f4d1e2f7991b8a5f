/**
 * Publishers hand a due item to where it goes.
 *  - reminder: nothing leaves the machine; the item is marked published at its time and the
 *    item.status_changed event (plus item.due_soon before it) is what tells the user to post.
 *  - webhook: POSTs {type, timestamp, data: item} to the configured URL, signed with Standard
 *    Webhooks headers; webhook-id is the item's delivery id, the same on every retry.
 */
import type { Item } from '../../shared/api/resources';
import { OutboundRefused, postJson } from './outbound';
import type { PublisherConfig } from './options';
import { webhookHeaders } from './signing';

export interface PublishRequest {
  item: Item;
  deliveryId: string;
  signal: AbortSignal;
  nowMs: number;
}

export type PublishOutcome = { ok: true } | { ok: false; retryable: boolean; reason: string };

export interface Publisher {
  readonly kind: PublisherConfig['kind'];
  publish(request: PublishRequest): Promise<PublishOutcome>;
}

export interface OutboundPolicy {
  allowLoopback: boolean;
  timeoutMs: number;
}

export function createPublisher(config: PublisherConfig, policy: OutboundPolicy): Publisher {
  if (config.kind === 'reminder') return { kind: 'reminder', publish: async () => ({ ok: true }) };
  return {
    kind: 'webhook',
    async publish({ item, deliveryId, signal, nowMs }) {
      const body = JSON.stringify({ type: 'item.publish', timestamp: item.scheduled_time, data: item });
      return deliver(config.url, body, webhookHeaders(deliveryId, body, config.secret, nowMs, config.previousSecret ?? null), policy, signal);
    },
  };
}

/** One POST; 2xx is success, anything else is retryable except a refused URL. */
export async function deliver(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: OutboundPolicy,
  signal: AbortSignal,
): Promise<PublishOutcome> {
  try {
    const response = await postJson(url, body, headers, { allowLoopback: policy.allowLoopback, timeoutMs: policy.timeoutMs, signal });
    if (response.status >= 200 && response.status < 300) return { ok: true };
    // 410 Gone is the receiver saying "never again" (Standard Webhooks).
    return { ok: false, retryable: response.status !== 410, reason: `receiver answered HTTP ${response.status}` };
  } catch (error) {
    if (error instanceof OutboundRefused) return { ok: false, retryable: false, reason: error.message };
    return { ok: false, retryable: true, reason: error instanceof Error ? error.message : String(error) };
  }
}
