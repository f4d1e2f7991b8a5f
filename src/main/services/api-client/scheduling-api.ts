/** The Scheduling API's endpoints, typed and parsed with the shared schemas. */
import { z } from 'zod';
import {
  HealthSchema,
  HeatmapSchema,
  ItemSchema,
  MetricsIngestResultSchema,
  OptimizationResultSchema,
  PlatformListSchema,
  RecommendationListSchema,
  ScheduleListSchema,
  ScheduleSchema,
  type Constraints,
  type CreateSchedule,
  type ItemPatch,
  type MetricObservation,
  type NewItem,
  type RecommendationQuery,
  type SchedulePatch,
} from '../../../shared/api/resources';
import type { Platform } from '../../../shared/api/common';
import { ApiKeyInfoSchema, ApiKeyListSchema, WebhookConfigSchema, type WebhookConfig } from '../../../shared/api/account';
import { ApiClientError } from './errors';
import type { HttpClient } from './http-client';

const base = '/api/v1/scheduling';

export interface WriteOptions {
  idempotencyKey: string;
  ifMatch?: number;
}

export class SchedulingApi {
  constructor(readonly http: HttpClient) {}

  async health(retry = true) {
    return (await this.http.request({ method: 'GET', path: '/health', schema: HealthSchema, retry })).data;
  }

  async platforms() {
    return (await this.http.request({ method: 'GET', path: `${base}/platforms`, schema: PlatformListSchema })).data.data;
  }

  /** With `expand: 'items'` each schedule carries its items (a page then ends early past 10,000 items). */
  async listSchedules(query: { updated_since?: string; cursor?: string; limit?: number; expand?: 'items' }) {
    return (await this.http.request({ method: 'GET', path: `${base}/calendar`, query, schema: ScheduleListSchema })).data;
  }

  async getSchedule(id: string, expandItems = true) {
    return (
      await this.http.request({ method: 'GET', path: `${base}/calendar/${encodeURIComponent(id)}`, query: { expand: expandItems ? 'items' : undefined }, schema: ScheduleSchema })
    ).data;
  }

  async createSchedule(body: CreateSchedule, write: WriteOptions) {
    return (await this.http.request({ method: 'POST', path: `${base}/calendar`, body, schema: ScheduleSchema, ...write })).data;
  }

  async patchSchedule(id: string, patch: SchedulePatch, write: WriteOptions) {
    return (await this.http.request({ method: 'PATCH', path: `${base}/calendar/${encodeURIComponent(id)}`, body: patch, schema: ScheduleSchema, ...write })).data;
  }

  async deleteSchedule(id: string, write: WriteOptions) {
    return (await this.http.request({ method: 'DELETE', path: `${base}/calendar/${encodeURIComponent(id)}`, schema: ScheduleSchema, ...write })).data;
  }

  async addItem(scheduleId: string, item: NewItem, write: WriteOptions) {
    return (await this.http.request({ method: 'POST', path: `${base}/calendar/${encodeURIComponent(scheduleId)}/items`, body: item, schema: ItemSchema, ...write })).data;
  }

  async patchItem(scheduleId: string, itemId: string, patch: ItemPatch, write: WriteOptions) {
    return (
      await this.http.request({
        method: 'PATCH',
        path: `${base}/calendar/${encodeURIComponent(scheduleId)}/items/${encodeURIComponent(itemId)}`,
        body: patch,
        schema: ItemSchema,
        ...write,
      })
    ).data;
  }

  async deleteItem(scheduleId: string, itemId: string, write: WriteOptions) {
    return (
      await this.http.request({
        method: 'DELETE',
        path: `${base}/calendar/${encodeURIComponent(scheduleId)}/items/${encodeURIComponent(itemId)}`,
        schema: ItemSchema,
        ...write,
      })
    ).data;
  }

  async recommendations(query: z.output<typeof import('../../../shared/api/resources').RecommendationQuerySchema> | RecommendationQuery) {
    const q = query as Record<string, unknown>;
    return (
      await this.http.request({
        method: 'GET',
        path: `${base}/recommendations`,
        query: {
          platforms: q.platforms as string[],
          target_count: q.target_count as number | undefined,
          timezone: q.timezone as string | undefined,
          start: q.start as string | undefined,
          end: q.end as string | undefined,
          duration_minutes: q.duration_minutes as number | undefined,
        },
        schema: RecommendationListSchema,
      })
    ).data;
  }

  async heatmap(platform: Platform, timezone: string) {
    return (await this.http.request({ method: 'GET', path: `${base}/recommendations/heatmap`, query: { platform, timezone }, schema: HeatmapSchema })).data;
  }

  async optimize(scheduleId: string, constraints: Constraints | undefined, idempotencyKey: string) {
    return (
      await this.http.request({
        method: 'POST',
        path: `${base}/optimize`,
        body: { schedule_id: scheduleId, ...(constraints ? { constraints } : {}), apply: false },
        schema: OptimizationResultSchema,
        idempotencyKey,
        // The solver may take a while on a large schedule (big jobs answer 202 at once).
        timeoutMs: 60_000,
      })
    ).data;
  }

  async getOptimization(id: string) {
    return (await this.http.request({ method: 'GET', path: `${base}/optimizations/${encodeURIComponent(id)}`, schema: OptimizationResultSchema })).data;
  }

  async applyOptimization(id: string, itemIds: string[], write: WriteOptions) {
    return (
      await this.http.request({
        method: 'POST',
        path: `${base}/optimizations/${encodeURIComponent(id)}/apply`,
        body: { item_ids: itemIds },
        schema: OptimizationResultSchema.extend({ applied_item_ids: z.array(z.string()).optional(), items: z.array(ItemSchema).optional() }),
        ...write,
      })
    ).data;
  }

  async ingestMetrics(observations: MetricObservation[], idempotencyKey: string) {
    return (await this.http.request({ method: 'POST', path: `${base}/metrics`, body: observations, schema: MetricsIngestResultSchema, idempotencyKey })).data;
  }

  // ------------------------------------------------------------------ account (docs/api.md)

  /** The account's API keys (never their secrets), revoked ones included. */
  async listKeys() {
    return (await this.http.request({ method: 'GET', path: '/api/v1/auth/keys', schema: ApiKeyListSchema })).data.data;
  }

  /** Revokes a key and its tokens (revoking the key this client uses ends this client's access). */
  async revokeKey(keyId: string) {
    return (await this.http.request({ method: 'DELETE', path: `/api/v1/auth/keys/${encodeURIComponent(keyId)}`, schema: ApiKeyInfoSchema })).data;
  }

  /** The account's own webhook, or null when it has none. */
  async getWebhook(): Promise<WebhookConfig | null> {
    try {
      return (await this.http.request({ method: 'GET', path: '/api/v1/account/webhook', schema: WebhookConfigSchema })).data;
    } catch (error) {
      if (error instanceof ApiClientError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Sets the webhook URL. The answer carries `secret` only when one was made (a new webhook, or
   * `rotateSecret`), and only once: not retried, since a retry after a lost answer would get the
   * webhook without it.
   */
  async setWebhook(url: string, rotateSecret = false) {
    return (
      await this.http.request({
        method: 'PUT',
        path: '/api/v1/account/webhook',
        body: { url, ...(rotateSecret ? { rotate_secret: true } : {}) },
        schema: WebhookConfigSchema,
        retry: false,
      })
    ).data;
  }

  /** Removes the webhook; false when there was none. */
  async deleteWebhook(): Promise<boolean> {
    try {
      await this.http.request({ method: 'DELETE', path: '/api/v1/account/webhook', schema: WebhookConfigSchema });
      return true;
    } catch (error) {
      if (error instanceof ApiClientError && error.status === 404) return false;
      throw error;
    }
  }
}
