/**
 * A child process for crash and permission tests (bundled by ./bundle-child.ts, run with node):
 *   readonly <cacheDir>                      opens the cache where it cannot write; prints a JSON report
 *   writer <cacheDir> <apiUrl> <apiKey> <scheduleId> <prefix>
 *                                            replays the outbox and keeps writing; prints "ack <content_id>"
 *                                            once each write is committed (then it may be kill -9'ed)
 *   drain <cacheDir> <apiUrl> <apiKey>       sends what is queued, prints "drained <n>" and exits
 */
import { HttpClient } from '../services/api-client/http-client';
import { SchedulingApi } from '../services/api-client/scheduling-api';
import { CacheStore } from '../services/cache/cache-store';
import { CacheError, openCacheDatabase } from '../services/cache/database';
import { OutboxStore, newLocalId, optimisticItem } from '../services/outbox/outbox';
import { SyncService } from '../services/sync/sync-service';

const clock = { now: () => Date.now() };

function services(dir: string, apiUrl: string, apiKey: string) {
  const opened = openCacheDatabase(dir);
  const cache = new CacheStore(opened.db, opened.problem);
  const outbox = new OutboxStore(cache);
  const sync = new SyncService({
    cache,
    outbox,
    clock,
    emit: () => undefined,
    live: { enabled: false },
    retryBaseMs: 20,
    retryMaxMs: 200,
  });
  const api = new SchedulingApi(new HttpClient({ baseUrl: apiUrl, apiKey, clock, retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }));
  sync.setTarget({ api, wsUrl: '', wsToken: async () => apiKey });
  return { cache, outbox, sync };
}

async function main(): Promise<void> {
  const [mode, dir, ...rest] = process.argv.slice(2);
  if (!dir) throw new Error('usage: cache-child <mode> <dir> …');
  if (mode === 'readonly') {
    const opened = openCacheDatabase(dir);
    const cache = new CacheStore(opened.db, opened.problem);
    const report: Record<string, unknown> = { problem: opened.problem, path: opened.path, schedules: cache.listSchedules().length };
    try {
      cache.write(() => cache.setMeta('probe', '1'));
      report.write = 'ok';
    } catch (error) {
      report.write = error instanceof CacheError ? error.code : String(error);
      report.message = (error as Error).message;
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const [apiUrl, apiKey, scheduleId, prefix] = rest;
  if (!apiUrl || !apiKey) throw new Error('missing api url/key');
  const { outbox, sync, cache } = services(dir, apiUrl, apiKey);
  if (mode === 'drain') {
    sync.start();
    for (let i = 0; i < 200 && outbox.counts().pending > 0; i++) {
      await sync.drain();
      if (outbox.counts().pending > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stuck = outbox.pending()[0];
    if (stuck) process.stderr.write(`stuck: ${stuck.kind} ${stuck.lastError ?? ''}\n`);
    process.stdout.write(`drained ${outbox.counts().pending}\n`);
    process.exit(0);
  }
  if (mode !== 'writer' || !scheduleId || !prefix) throw new Error(`unknown mode ${mode}`);
  // Whatever the previous (killed) run left in the outbox goes first, with its stored keys.
  sync.start();
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    const contentId = `${prefix}-${i}`;
    const localId = newLocalId('itm');
    const item = { content_id: contentId, platform: 'tiktok' as const, scheduled_time: new Date(Date.now() + 86_400_000 + i * 60_000).toISOString() };
    const now = new Date().toISOString();
    outbox.enqueue({ kind: 'add_item', scheduleId, localId, item }, `add ${contentId}`, now, () => cache.putItem(optimisticItem(localId, scheduleId, item, now), true));
    process.stdout.write(`ack ${contentId}\n`);
    void sync.drain();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
