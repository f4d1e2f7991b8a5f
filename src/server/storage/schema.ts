/** Kysely table types: the one description of the server's rows, for both dialects. */
import type { Generated } from 'kysely';
import type { ApiTables } from './schema-api';

export interface AccountsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  /** SHA-256 of the key; the key itself is shown once and never stored. */
  key_hash: string;
  /** Optional HMAC signing secret for request signing (stored as given: it must be usable). */
  signing_secret: string | null;
  created_at: string;
  revoked_at: string | null;
  /** The key's first characters, shown to tell keys apart (migration 006; null for older keys). */
  prefix: string | null;
  /** Last use by a request or a token grant, to the minute (migration 006). */
  last_used_at: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
  updated_at: Generated<string>;
}

export interface AccountEventHeadsTable {
  account_id: string;
  head_seq: number;
}

export interface EventsTable {
  account_id: string;
  seq: number;
  type: string;
  schedule_id: string | null;
  occurred_at: string;
  /** JSON text. */
  data: string;
}

export interface SchedulesTable {
  id: string;
  account_id: string;
  title: string;
  timezone: string;
  status: 'active' | 'completed' | 'cancelled';
  processing_deadline_ms: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ItemsTable {
  id: string;
  account_id: string;
  schedule_id: string;
  content_id: string;
  platform: string;
  channel: string;
  scheduled_time: string;
  scheduled_at_ms: number;
  status: 'scheduled' | 'processing' | 'published' | 'failed' | 'cancelled';
  /** JSON text. */
  metadata: string;
  /** JSON text. */
  callbacks: string;
  attempts: Generated<number>;
  published_at: string | null;
  failure_reason: string | null;
  version: number;
  updated_at: string;
  lease_owner: string | null;
  lease_expires_ms: number | null;
  next_attempt_ms: number | null;
  delivery_id: string | null;
  /** The scheduled_at_ms an item.due_soon event was sent for (migration 004). */
  due_soon_for_ms: number | null;
}

/** Durable queue of on_published / on_failed callbacks (migration 004). */
export interface CallbackDeliveriesTable {
  id: string;
  account_id: string;
  item_id: string;
  kind: 'on_published' | 'on_failed';
  url: string;
  /** JSON text, sent byte for byte on every attempt. */
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_ms: number;
  lease_owner: string | null;
  lease_expires_ms: number | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
}

/** An account's own webhook endpoint for dispatch (migration 008). */
export interface AccountWebhooksTable {
  account_id: string;
  url: string;
  /** Standard Webhooks secret (`whsec_…`), stored as is: the dispatcher signs with it. */
  secret: string;
  created_at: string;
  updated_at: string;
  /** The secret before the last rotation: deliveries carry its signature too until previous_secret_until_ms (migration 012). */
  previous_secret: string | null;
  previous_secret_until_ms: number | null;
}

export interface Database extends ApiTables {
  account_webhooks: AccountWebhooksTable;
  schedules: SchedulesTable;
  items: ItemsTable;
  account_event_heads: AccountEventHeadsTable;
  events: EventsTable;
  callback_deliveries: CallbackDeliveriesTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  meta: MetaTable;
}
