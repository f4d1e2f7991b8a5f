/** Kysely table types: the one description of the server's rows, for both dialects. */
import type { Generated } from 'kysely';

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

export interface Database {
  account_event_heads: AccountEventHeadsTable;
  events: EventsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  meta: MetaTable;
}
