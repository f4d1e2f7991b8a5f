/** Kysely row types of the HTTP API's own tables (migration 005). */

export interface AccessTokensTable {
  /** SHA-256 of the opaque token. */
  token_hash: string;
  account_id: string;
  key_id: string;
  family_id: string;
  expires_at_ms: number;
  created_at: string;
}

export interface RefreshTokensTable {
  token_hash: string;
  account_id: string;
  key_id: string;
  family_id: string;
  status: 'active' | 'rotated' | 'revoked';
  expires_at_ms: number;
  created_at: string;
}

export interface IdempotencyKeysTable {
  account_id: string;
  key: string;
  /** METHOD + path + sha256(raw body). */
  fingerprint: string;
  status: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: string | null;
  response_content_type: string | null;
  locked_at_ms: number;
  expires_at_ms: number;
}

export interface RequestSignaturesTable {
  account_id: string;
  signature: string;
  expires_at_ms: number;
}

export interface MetricObservationsTable {
  id: string;
  account_id: string;
  content_id: string;
  platform: string;
  channel: string | null;
  published_at: string;
  published_at_ms: number;
  impressions: number;
  engagements: number;
  /** JSON text. */
  breakdowns: string | null;
  created_at: string;
}

export interface OptimizationsTable {
  id: string;
  account_id: string;
  schedule_id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'infeasible';
  apply_requested: number;
  request: string;
  result: string | null;
  item_versions: string;
  applied_item_ids: string;
  created_at: string;
  updated_at: string;
}

/** Shared rate-limit counters (PostgreSQL, several processes): one row per bucket and window. */
export interface RateLimitWindowsTable {
  /** `a:<account id>` or `ip:<address>`. */
  bucket: string;
  window_start_ms: number;
  count: number;
  expires_at_ms: number;
}

export interface ApiTables {
  access_tokens: AccessTokensTable;
  refresh_tokens: RefreshTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  request_signatures: RequestSignaturesTable;
  metric_observations: MetricObservationsTable;
  optimizations: OptimizationsTable;
  rate_limit_windows: RateLimitWindowsTable;
}
