import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/api/events';
import { createAccountWithKey } from '../storage/accounts';
import { openStorage, type Storage } from '../storage/database';
import { LiveHub } from './hub';
import { appendEvent, LocalEventBus } from './log';
import { EventStream } from './stream';

let storage: Storage;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cadence-stream-'));
  storage = await openStorage({ dataDir: dir });
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Appends n events after `offset` existing ones; even seqs belong to schedule 'a'. */
async function append(accountId: string, n: number, offset: number): Promise<ServerEvent[]> {
  const out: ServerEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await storage.db.transaction().execute((trx) => appendEvent(trx, accountId, { type: 'schedule.updated', schedule_id: (offset + i + 1) % 2 === 0 ? 'a' : 'b', data: {} })),
    );
  }
  return out;
}

type Step = { kind: 'publish'; index: number } | { kind: 'poke' } | { kind: 'tick' };

it('delivers every event after `since` exactly once and in order, whatever the publish order, duplicates and pokes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 1, max: 12 }),
      fc.nat(),
      fc.array(fc.oneof(fc.record({ kind: fc.constant('publish' as const), index: fc.nat() }), fc.constant({ kind: 'poke' as const }), fc.constant({ kind: 'tick' as const })), { maxLength: 30 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 4 }),
      async (before, after, sinceSeed, steps: Step[], onlyA, maxQueued) => {
        const { accountId } = await createAccountWithKey(storage.db);
        const bus = new LocalEventBus();
        const hub = new LiveHub(bus);
        await append(accountId, before, 0);
        const since = sinceSeed % (before + 1);
        const got: number[] = [];
        const stream = new EventStream({
          db: storage.db,
          hub,
          accountId,
          filter: onlyA ? (e) => e.schedule_id === 'a' : () => true,
          send: async (e) => {
            got.push(e.seq);
          },
          maxQueued,
          pageSize: 3,
          onError: (error) => {
            throw error;
          },
        });
        await stream.start(since);
        stream.follow();
        const later = await append(accountId, after, before);
        // Every committed event is published at least once, in an order the steps shuffle.
        const unpublished = new Set(later.map((_, i) => i));
        for (const step of steps) {
          if (step.kind === 'publish') {
            const index = step.index % later.length;
            unpublished.delete(index);
            bus.publish(accountId, [later[index]!]);
          } else if (step.kind === 'poke') hub.poke(accountId);
          else await new Promise((r) => setImmediate(r));
        }
        for (const index of unpublished) bus.publish(accountId, [later[index]!]);
        const total = before + after;
        const want: number[] = [];
        for (let seq = since + 1; seq <= total; seq++) if (!onlyA || seq % 2 === 0) want.push(seq);
        const deadline = Date.now() + 2000;
        while (stream.lastSeq < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        await new Promise((r) => setTimeout(r, 5));
        stream.close();
        hub.close();
        expect(got).toEqual(want);
      },
    ),
    { numRuns: 60 },
  );
});
