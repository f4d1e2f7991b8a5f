// GET /scheduling/calendar?expand=items: schedules with their items in pages, a fixed number of
// queries per page whatever its size, bounded by the item budget, on both dialects.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Item, Schedule } from '../../shared/api/resources';
import { call, sampleSchedule } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';
import { insertItems } from '../storage/calendar';
import { newId } from '../storage/ids';
import { LIST_PAGE_MAX_ITEMS } from './api';

type Page = { data: Schedule[]; next_cursor: string | null };
type ErrorBody = { error: { code: string; details?: Array<{ path: string }> } };

/** Counts the queries that read schedules or items (auth, rate limit and the like are not counted). */
class CalendarQueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const text = JSON.stringify(args.node);
    if (args.node.kind === 'SelectQueryNode' && /"name":"(schedules|items)"/.test(text)) this.count += 1;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

forEachDialect((dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
  });
  afterAll(() => t.close());

  async function createFor(apiKey: string, title: string, items: number, offsetDays = 0): Promise<Schedule> {
    const body = sampleSchedule({
      title,
      items: Array.from({ length: items }, (_, i) => ({
        content_id: `${title}-${i}`,
        platform: 'youtube',
        scheduled_time: new Date(Date.UTC(2030, 0, 1 + offsetDays) + i * 60_000).toISOString(),
      })),
    });
    const r = await call<Schedule>(t, 'POST', '/api/v1/scheduling/calendar', { token: apiKey, body });
    expect(r.status, r.text).toBe(201);
    return r.json;
  }

  async function walk(apiKey: string, query: string): Promise<{ pages: Page[]; requests: number }> {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; text: string; json: Page } = await call<Page>(t, 'GET', `/api/v1/scheduling/calendar?${query}${cursor ? `&cursor=${cursor}` : ''}`, { token: apiKey });
      expect(r.status, r.text).toBe(200);
      pages.push(r.json);
      cursor = r.json.next_cursor;
    } while (cursor);
    return { pages, requests: pages.length };
  }

  it('lists schedules with their items, page by page, equal to reading each one', async () => {
    const account = await t.createAccount();
    const created: Schedule[] = [];
    for (let i = 0; i < 12; i++) created.push(await createFor(account.apiKey, `s${i}`, (i % 4) + 2, i));
    // A deleted item and a cancelled schedule are listed as the server has them.
    const first = created[0] as Schedule;
    const gone = (first.items as Item[])[0] as Item;
    expect((await call(t, 'DELETE', `/api/v1/scheduling/calendar/${first.id}/items/${gone.id}`, { token: account.apiKey })).status).toBe(200);
    expect((await call(t, 'DELETE', `/api/v1/scheduling/calendar/${(created[1] as Schedule).id}`, { token: account.apiKey })).status).toBe(200);

    const { pages, requests } = await walk(account.apiKey, 'limit=5&expand=items');
    expect(requests).toBe(Math.ceil(12 / 5));
    const listed = pages.flatMap((p) => p.data);
    expect(listed.map((s) => s.id)).toEqual(created.map((s) => s.id));
    for (const schedule of listed) {
      const one = await call<Schedule>(t, 'GET', `/api/v1/scheduling/calendar/${schedule.id}?expand=items`, { token: account.apiKey });
      expect(schedule).toEqual(one.json);
    }
    expect(listed[0]?.items?.some((i) => i.id === gone.id)).toBe(false);
    expect(listed[1]?.items?.every((i) => i.status === 'cancelled')).toBe(true);

    // Without expand the list stays as it was: no items.
    const plain = await walk(account.apiKey, 'limit=5');
    expect(plain.pages.flatMap((p) => p.data).every((s) => s.items === undefined)).toBe(true);
    // expand[]=items works too; metrics are refused (a query per schedule), unknown ones too.
    const bracket = await call<Page>(t, 'GET', '/api/v1/scheduling/calendar?limit=1&expand[]=items', { token: account.apiKey });
    expect(bracket.json.data[0]?.items).toEqual(listed[0]?.items);
    const metrics = await call<ErrorBody>(t, 'GET', '/api/v1/scheduling/calendar?expand=items,metrics', { token: account.apiKey });
    expect(metrics.status).toBe(400);
    expect(metrics.json.error.details?.[0]?.path).toBe('expand');
    expect((await call(t, 'GET', '/api/v1/scheduling/calendar?expand=owner', { token: account.apiKey })).status).toBe(400);
  });

  it('updated_since with expand=items returns only the changed schedules, with all their items', async () => {
    const account = await t.createAccount();
    const a = await createFor(account.apiKey, 'a', 3);
    await createFor(account.apiKey, 'b', 2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const item = (a.items as Item[])[2] as Item;
    expect((await call(t, 'DELETE', `/api/v1/scheduling/calendar/${a.id}/items/${item.id}`, { token: account.apiKey })).status).toBe(200);
    const r = await call<Page>(t, 'GET', `/api/v1/scheduling/calendar?expand=items&updated_since=${since}`, { token: account.apiKey });
    expect(r.json.data.map((s) => s.id)).toEqual([a.id]);
    expect(r.json.data[0]?.items?.map((i) => i.id)).toEqual((a.items as Item[]).slice(0, 2).map((i) => i.id));
    expect(r.json.data[0]?.item_count).toBe(2);
  });

  it('reads a page with the same number of queries whether it holds 2 schedules or 40', async () => {
    const account = await t.createAccount();
    for (let i = 0; i < 40; i++) await createFor(account.apiKey, `q${i}`, 3, i);
    const counter = new CalendarQueryCounter();
    const storage = t.server.context.storage;
    const original = storage.db;
    const queriesFor = async (limit: number) => {
      counter.count = 0;
      const r = await call<Page>(t, 'GET', `/api/v1/scheduling/calendar?limit=${limit}&expand=items`, { token: account.apiKey });
      expect(r.status).toBe(200);
      expect(r.json.data).toHaveLength(limit);
      expect(r.json.data.every((s) => s.items?.length === 3)).toBe(true);
      return counter.count;
    };
    try {
      await call(t, 'GET', '/api/v1/scheduling/calendar?limit=1', { token: account.apiKey });
      storage.db = original.withPlugin(counter);
      const small = await queriesFor(2);
      const large = await queriesFor(40);
      expect(small).toBeGreaterThan(0);
      expect(large).toBe(small);
      // list, counts, items
      expect(large).toBeLessThanOrEqual(3);
    } finally {
      storage.db = original;
    }
  });

  it(`keeps a page under ${LIST_PAGE_MAX_ITEMS} items by ending it early, always with whole schedules`, async () => {
    const account = await t.createAccount();
    // Seeded in the database (a realistic row each): 12,000 items through the API would also
    // append 12,000 events, which only slows the test down.
    for (let s = 0; s < 3; s++) {
      const schedule = await createFor(account.apiKey, `big${s}`, 1, s * 10);
      const first = Date.UTC(2030, 0, 1 + s * 10);
      const rows = Array.from({ length: 3999 }, (_, i) => {
        const at = new Date(first + (i + 1) * 60_000).toISOString().replace('.000Z', 'Z');
        return {
          id: newId('itm'),
          account_id: account.accountId,
          schedule_id: schedule.id,
          content_id: `big${s}-${i}`,
          platform: 'tiktok',
          channel: 'tiktok',
          scheduled_time: at,
          scheduled_at_ms: Date.parse(at),
          status: 'scheduled' as const,
          metadata: '{}',
          callbacks: '{}',
          published_at: null,
          failure_reason: null,
          version: 1,
          updated_at: schedule.updated_at,
          lease_owner: null,
          lease_expires_ms: null,
          next_attempt_ms: null,
          delivery_id: null,
          due_soon_for_ms: null,
        };
      });
      await insertItems(t.server.context.storage.db, rows);
    }
    await createFor(account.apiKey, 'small', 2, 40);
    const { pages } = await walk(account.apiKey, 'limit=200&expand=items');
    // 4,000 + 4,000 fit; the third would make 12,000: it starts the next page.
    expect(pages.map((p) => p.data.map((s) => s.items?.length))).toEqual([[4000, 4000], [4000, 2]]);
    for (const page of pages) expect(page.data.reduce((n, s) => n + (s.items?.length ?? 0), 0)).toBeLessThanOrEqual(LIST_PAGE_MAX_ITEMS);
    expect(pages.flatMap((p) => p.data).map((s) => s.item_count)).toEqual([4000, 4000, 4000, 2]);
  }, 60_000);
});
