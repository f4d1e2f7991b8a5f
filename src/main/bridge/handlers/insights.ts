/**
 * recommendations.* (cached with the guide's TTLs: stale answers at once, refreshed behind),
 * optimize.run/apply, and the metrics CSV import.
 */
import { randomUUID } from 'node:crypto';
import type { Heatmap, OptimizationResult, RecommendationList } from '../../../shared/api/resources';
import type { Clock } from '../../ports';
import type { SchedulingApi } from '../../services/api-client/scheduling-api';
import type { TTL } from '../../services/cache/cache-store';
import type { MainServices } from '../../services/main-services';
import { previewCsv } from '../../services/metrics/csv';
import { RejectedWrite } from '../../services/sync/sync-service';
import type { BridgeHandlers } from '../dispatcher';
import { BridgeFailure } from '../errors';
import { connectedApi, guarded, toBridgeFailure } from './failures';

type InsightMethods = 'recommendations.get' | 'recommendations.heatmap' | 'optimize.run' | 'optimize.apply' | 'metrics.previewCsv' | 'metrics.importCsv';

/** How long a first (uncached) read may wait for the server before saying it is offline. */
const FIRST_FETCH_TIMEOUT_MS = 5000;

/** How long optimize.run follows a queued job before answering `queued`. */
const RUN_WAIT_MS = 10_000;
/** A queued job is followed this long for its completion (besides the live event). */
const FOLLOW_MS = 15 * 60_000;
const FOLLOW_EVERY_MS = 2000;

const unfinished = (r: OptimizationResult) => r.status === 'queued' || r.status === 'running';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function insightHandlers(
  services: MainServices,
  clock: Clock,
  userZone: () => string,
  onRefreshed: (scope: 'recommendations') => void,
): Pick<BridgeHandlers, InsightMethods> {
  const { cache, sync } = services;

  /** Polls a queued job in case the live socket misses its event (offline, another server). */
  const followOptimization = async (client: SchedulingApi, id: string): Promise<void> => {
    const until = clock.now() + FOLLOW_MS;
    while (clock.now() < until && !services.optimizationAnnounced(id)) {
      await sleep(FOLLOW_EVERY_MS);
      if (services.optimizationAnnounced(id)) return;
      try {
        const result = await client.getOptimization(id);
        if (!unfinished(result)) return services.announceOptimization(result);
      } catch {
        // Unreachable for now: the live event or the next poll will tell.
      }
    }
  };
  const api = (): SchedulingApi => connectedApi(services);

  /** Cache-first read with TTL: a hit answers at once; an expired hit answers stale and refreshes. */
  async function cachedRead<T>(key: string, kind: keyof typeof TTL, fetch: (api: SchedulingApi) => Promise<T>) {
    const hit = cache.getEntry<T>(key);
    const now = clock.now();
    const refresh = async (client: SchedulingApi) => {
      const value = await fetch(client);
      try {
        cache.setEntry(key, kind, value, clock.now());
      } catch {
        // read-only cache: the answer still goes out
      }
      return value;
    };
    if (hit) {
      const stale = hit.expiresAt <= now;
      if (stale) {
        sync.refreshInBackground(key, async (client) => {
          await refresh(client);
          onRefreshed('recommendations');
        });
      }
      return { data: hit.value, fetchedAt: new Date(hit.fetchedAt).toISOString(), stale, source: 'cache' as const };
    }
    // Nothing cached yet: the one read that waits, briefly.
    const value = await guarded(() => withTimeout(refresh(api()), FIRST_FETCH_TIMEOUT_MS));
    return { data: value, fetchedAt: new Date(clock.now()).toISOString(), stale: false, source: 'network' as const };
  }

  return {
    'recommendations.get': (query) =>
      cachedRead<RecommendationList>(`recommendations:${JSON.stringify(query)}`, 'recommendations', (client) => client.recommendations(query)),

    'recommendations.heatmap': ({ platform, timezone }) =>
      cachedRead<Heatmap>(`heatmap:${platform}:${timezone}`, 'heatmaps', (client) => client.heatmap(platform, timezone)),

    'optimize.run': ({ scheduleId, constraints }) =>
      guarded(async () => {
        const client = api();
        let result = await client.optimize(services.outbox.resolve(scheduleId), constraints, `cadence-opt-${randomUUID()}`);
        // Large jobs answer 202 queued: follow them a little, then answer `queued`; the
        // `optimization.completed` bridge event carries the result when it is done.
        const deadline = clock.now() + RUN_WAIT_MS;
        while (unfinished(result) && clock.now() < deadline) {
          await sleep(500);
          result = await client.getOptimization(result.optimization_id);
        }
        if (unfinished(result)) void followOptimization(client, result.optimization_id);
        return result;
      }),

    'optimize.apply': async ({ optimizationId, scheduleId, itemIds }) => {
      try {
        const outcome = await sync.submit(
          { kind: 'apply_optimization', scheduleId: services.outbox.resolve(scheduleId), optimizationId, itemIds },
          `Apply ${itemIds.length} optimized time${itemIds.length === 1 ? '' : 's'}`,
          () => undefined,
        );
        const applied = (outcome.result as { applied_item_ids?: string[] } | undefined)?.applied_item_ids ?? [];
        return { queued: outcome.queued, outboxId: outcome.outboxId, applied: outcome.queued ? [] : applied.filter((id) => itemIds.includes(id)), conflicts: [] };
      } catch (error) {
        if (error instanceof RejectedWrite && error.error.status === 409) {
          const itemId = typeof error.error.extra.body?.item_id === 'string' ? error.error.extra.body.item_id : (itemIds[0] ?? '');
          return { queued: false, outboxId: null, applied: [], conflicts: [{ itemId, message: error.error.message }] };
        }
        throw toBridgeFailure(error instanceof RejectedWrite ? error.error : error);
      }
    },

    'metrics.previewCsv': ({ csv }) => previewCsv(csv, userZone()),

    'metrics.importCsv': ({ csv }) =>
      guarded(async () => {
        const preview = previewCsv(csv, userZone());
        if (preview.invalidCount > 0) {
          const details = preview.rows.flatMap((row) => row.errors.map((e) => ({ path: `line ${row.line}.${e.field}`, message: e.message })));
          throw new BridgeFailure('validation_failed', `${preview.invalidCount} row${preview.invalidCount === 1 ? ' is' : 's are'} not valid; fix them and import again`, details.slice(0, 200));
        }
        const observations = preview.rows.flatMap((row) => (row.observation ? [row.observation] : []));
        if (observations.length === 0) throw new BridgeFailure('validation_failed', 'the file has no rows to import');
        let accepted = 0;
        let duplicates = 0;
        for (let i = 0; i < observations.length; i += 10_000) {
          const result = await api().ingestMetrics(observations.slice(i, i + 10_000), `cadence-csv-${randomUUID()}`);
          accepted += result.accepted;
          duplicates += result.duplicates;
        }
        // What the recommendations learn from changed.
        try {
          cache.dropEntries('recommendations');
          cache.dropEntries('heatmaps');
        } catch {
          // read-only cache
        }
        return { accepted, duplicates };
      }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | null = null;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new BridgeFailure('offline', `the server did not answer within ${ms / 1000} s and nothing is cached yet`)), ms);
    }),
  ]).finally(() => {
    if (timer) clearTimeout(timer);
  });
}
