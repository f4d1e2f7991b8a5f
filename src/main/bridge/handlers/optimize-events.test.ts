// A queued optimization (the server's 202) ends with an `optimization.completed` bridge event,
// carried from the live socket of a real core against the real server on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OptimizationResult } from '../../../shared/api/resources';
import { startApiServer, type ApiServer } from '../../testing/api-server';
import { startClientCore, waitFor, type ClientCore } from '../../testing/client-core';

let api: ApiServer;
let client: ClientCore;

beforeAll(async () => {
  // Every optimization is queued (as the server does past 2000 items).
  api = await startApiServer({ optimizeAsyncThreshold: 1 });
  client = await startClientCore({ apiUrl: api.url, apiKey: api.apiKey });
  await waitFor(() => client.core.services.sync.status().live === 'live', 10_000, 'live');
});
afterAll(async () => {
  await client.close();
  await api.close();
});

const completions = (id: string) =>
  client.events.filter((e) => e.event === 'optimization.completed' && (e.payload as OptimizationResult).optimization_id === id).map((e) => e.payload as OptimizationResult);

describe('optimization.completed bridge event', () => {
  let scheduleId = '';

  it('announces a queued job once it finishes, with its full result', async () => {
    const created = await client.call<{ scheduleId: string }>('schedules.create', {
      title: 'Big one',
      timezone: 'UTC',
      items: Array.from({ length: 4 }, (_, i) => ({ content_id: `q${i}`, platform: 'instagram', scheduled_time: `2030-03-0${i + 1}T03:00:00Z` })),
    });
    scheduleId = created.scheduleId;
    // Queued behind the bridge's back: only the live event can tell the renderer.
    const queued = await api.send<OptimizationResult>('POST', `/api/v1/scheduling/calendar/${scheduleId}/optimize`, {});
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('queued');
    await waitFor(() => completions(queued.body.optimization_id).length > 0, 10_000, 'optimization.completed event');
    const [done] = completions(queued.body.optimization_id);
    expect(done).toMatchObject({ optimization_id: queued.body.optimization_id, schedule_id: scheduleId, status: 'completed' });
    expect(Array.isArray(done?.changes)).toBe(true);
    // The same result as the server stores.
    const stored = await api.get<OptimizationResult>(`/api/v1/scheduling/optimizations/${queued.body.optimization_id}`);
    expect(done?.changes).toEqual(stored.changes);
  });

  it('optimize.run follows a queued job; its completion is announced once (live event and follow-up agree)', async () => {
    const result = await client.call<OptimizationResult>('optimize.run', { scheduleId });
    expect(result.status).toBe('completed');
    await waitFor(() => completions(result.optimization_id).length > 0, 10_000, 'optimization.completed event');
    // A repeat (a replayed event, or the follow-up finding it done) is not announced again.
    client.core.services.announceOptimization(result);
    expect(completions(result.optimization_id)).toHaveLength(1);
  });

  it('refuses an event payload that breaks the contract', () => {
    expect(() => client.core.events.emit('optimization.completed', { optimization_id: 'x' } as unknown as OptimizationResult)).toThrow();
  });
});
