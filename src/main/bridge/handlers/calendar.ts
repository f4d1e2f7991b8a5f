/**
 * schedules.*, calendar.range and items.*: reads answer from the cache at once (with how fresh
 * they are, refreshing in the background when stale); writes go through the outbox.
 */
import type { Platform } from '../../../shared/api/common';
import type { Item } from '../../../shared/api/resources';
import type { ConflictDataSchema } from '../../../shared/bridge';
import type { z } from 'zod';
import { PLATFORM_DEFAULTS } from '../../../server/routes/platforms';
import type { Clock } from '../../ports';
import type { PlatformInfo } from '../../../shared/api/resources';
import { checkPlacement, isCounted } from '../../services/calendar/constraints';
import { icsFilename, scheduleToIcs } from '../../services/calendar/ics';
import type { MainServices } from '../../services/main-services';
import { newLocalId, optimisticItem, optimisticSchedule, patchedItem, type OutboxPayload } from '../../services/outbox/outbox';
import { RejectedWrite } from '../../services/sync/sync-service';
import type { BridgeHandlers } from '../dispatcher';
import { BridgeFailure } from '../errors';
import { guarded, toBridgeFailure } from './failures';

type CalendarMethods =
  | 'schedules.list'
  | 'schedules.get'
  | 'schedules.create'
  | 'schedules.update'
  | 'schedules.delete'
  | 'schedules.exportIcs'
  | 'calendar.range'
  | 'items.add'
  | 'items.check'
  | 'items.reschedule'
  | 'items.update'
  | 'items.cancel';

export function freshness(services: MainServices) {
  const stale = !services.sync.schedulesFresh();
  if (stale) services.sync.refreshInBackground('delta', async () => services.sync.deltaLoad());
  return { fetchedAt: services.sync.lastSyncedAt(), stale, source: 'cache' as const };
}

/** The platform's limits: the cached server list (1 h), else the built-in defaults. */
export function platformInfo(services: MainServices, id: string, clock: Clock): PlatformInfo {
  const cached = services.cache.getEntry<PlatformInfo[]>('platforms');
  if (!cached || cached.expiresAt < clock.now()) {
    services.sync.refreshInBackground('platforms', async (api) => {
      services.cache.setEntry('platforms', 'platforms', await api.platforms(), clock.now());
    });
  }
  const list = cached?.value ?? PLATFORM_DEFAULTS;
  return list.find((p) => p.id === id) ?? (PLATFORM_DEFAULTS.find((p) => p.id === id) as PlatformInfo);
}

type ConflictData = z.infer<typeof ConflictDataSchema>;

/** A rejected write as the user sees it; a version conflict carries both sides. */
function rejection(error: unknown, local: { kind: 'schedule' | 'item'; id: string; value: Record<string, unknown> } | null): BridgeFailure {
  if (error instanceof RejectedWrite) {
    const failure = toBridgeFailure(error.error);
    if (failure.code === 'conflict' && local) {
      const current = error.error.extra.body?.current;
      const data: ConflictData = {
        kind: local.kind,
        id: local.id,
        local: local.value,
        server: current && typeof current === 'object' ? (current as Record<string, unknown>) : null,
      };
      return new BridgeFailure('conflict', failure.message, failure.details, data);
    }
    return failure;
  }
  return toBridgeFailure(error);
}

export function calendarHandlers(services: MainServices, clock: Clock): Pick<BridgeHandlers, CalendarMethods> {
  const nowIso = () => new Date(clock.now()).toISOString();
  const { cache, sync } = services;

  // A view may still hold the local id of something created offline and since sent.
  const resolve = (id: string) => services.outbox.resolve(id);
  const requireSchedule = (given: string) => {
    const id = resolve(given);
    const found = cache.schedule(id);
    if (!found || found.deleted) {
      sync.refreshInBackground('delta', async () => sync.deltaLoad());
      throw new BridgeFailure('not_found', `schedule ${id} is not in the local calendar`);
    }
    return found;
  };
  const requireItem = (scheduleId: string, itemId: string) => {
    const found = cache.item(resolve(itemId));
    if (!found || found.item.schedule_id !== resolve(scheduleId)) throw new BridgeFailure('not_found', `item ${itemId} is not in schedule ${scheduleId}`);
    return found.item;
  };
  // A cancelled item is a local record only (the server deleted it): nothing can change it.
  const requireLiveItem = (scheduleId: string, itemId: string) => {
    const item = requireItem(scheduleId, itemId);
    if (item.status === 'cancelled') {
      throw new BridgeFailure('validation_failed', `“${item.content_id}” is cancelled and cannot be changed`, [{ path: 'itemId', message: 'cancelled' }]);
    }
    return item;
  };
  const submit = async (payload: OutboxPayload, summary: string, optimistic: () => void, local: Parameters<typeof rejection>[1]) => {
    try {
      return await sync.submit(payload, summary, optimistic);
    } catch (error) {
      throw rejection(error, local);
    }
  };

  return {
    'schedules.list': () =>
      guarded(() => ({
        data: cache.listSchedules().map(({ record, pending, counts }) => ({ ...record, pending, counts })),
        ...freshness(services),
      })),

    'schedules.get': ({ id }) =>
      guarded(() => {
        const found = requireSchedule(id);
        return { data: { ...found.record, pending: found.pending, items: cache.itemsOf(found.record.id) }, ...freshness(services) };
      }),

    'schedules.create': async (input) => {
      const localId = newLocalId('sch');
      const localItemIds = input.items.map(() => newLocalId('itm'));
      const now = nowIso();
      const result = await submit({ kind: 'create_schedule', localId, body: input, localItemIds }, `Create schedule “${input.title}” (${input.items.length} items)`, () => {
        const { schedule, items } = optimisticSchedule(localId, input, localItemIds, now);
        cache.putSchedule(schedule, true);
        for (const item of items) cache.putItem(item, true);
      }, null);
      const created = result.result as { id?: string } | undefined;
      return { queued: result.queued, outboxId: result.outboxId, scheduleId: created?.id ?? services.outbox.resolve(localId) };
    },

    'schedules.update': async ({ id, patch, expectedVersion }) => {
      const found = requireSchedule(id);
      const ifMatch = expectedVersion ?? found.record.version;
      const local = { ...found.record, ...patch };
      const result = await submit({ kind: 'update_schedule', scheduleId: found.record.id, patch, ifMatch, before: found.record }, `Update schedule “${found.record.title}”`, () => cache.putSchedule(local, true), {
        kind: 'schedule',
        id: found.record.id,
        value: local,
      });
      return { queued: result.queued, outboxId: result.outboxId };
    },

    'schedules.delete': async ({ id }) => {
      const found = requireSchedule(id);
      const result = await submit(
        { kind: 'delete_schedule', scheduleId: found.record.id, ifMatch: found.record.version, before: found.record },
        `Cancel schedule “${found.record.title}”`,
        () => cache.markScheduleDeleted(found.record.id),
        { kind: 'schedule', id: found.record.id, value: { ...found.record, status: 'cancelled' } },
      );
      return { queued: result.queued, outboxId: result.outboxId };
    },

    'schedules.exportIcs': ({ id }) =>
      guarded(() => {
        const found = requireSchedule(id);
        return { filename: icsFilename(found.record.title), content: scheduleToIcs(found.record, cache.itemsOf(found.record.id), nowIso()) };
      }),

    'calendar.range': ({ from, to, scheduleIds }) =>
      guarded(() => ({ data: cache.range(Date.parse(from), Date.parse(to), scheduleIds), ...freshness(services) })),

    'items.add': async ({ scheduleId, item }) => {
      const schedule = requireSchedule(scheduleId);
      const localId = newLocalId('itm');
      const now = nowIso();
      const sid = schedule.record.id;
      const result = await submit({ kind: 'add_item', scheduleId: sid, localId, item }, `Add “${item.content_id}” (${item.platform}) to “${schedule.record.title}”`, () => {
        cache.putItem(optimisticItem(localId, sid, item, now), true);
      }, null);
      const created = result.result as Item | undefined;
      return { queued: result.queued, outboxId: result.outboxId, itemId: created?.id ?? services.outbox.resolve(localId) };
    },

    'items.check': ({ scheduleId, itemId, platform, channel, scheduledTime }) =>
      guarded(() => {
        const schedule = requireSchedule(scheduleId);
        // An existing item (a move), or a proposed new one (the editor, before items.add).
        const item = itemId ? requireItem(scheduleId, itemId) : null;
        const target = item ? { id: item.id, channel: item.channel, platform: item.platform } : { id: null, channel: channel ?? (platform as Platform), platform: platform as Platform };
        const at = Date.parse(scheduledTime);
        const day = 24 * 3600_000;
        // Everything that shares the channel within a day either side (spacing and daily caps).
        const others = cache
          .range(at - 2 * day, at + 2 * day)
          .filter((o) => o.channel === target.channel && o.id !== target.id && isCounted(o.status))
          .map((o) => ({ id: o.id, scheduledMs: Date.parse(o.scheduled_time) }));
        return {
          violations: checkPlacement({
            itemId: target.id,
            channel: target.channel,
            platform: platformInfo(services, target.platform, clock),
            scheduledMs: at,
            timezone: schedule.record.timezone,
            nowMs: clock.now(),
            others,
          }),
        };
      }),

    'items.reschedule': async ({ scheduleId, itemId, scheduledTime, expectedVersion, force }) => {
      const schedule = requireSchedule(scheduleId);
      const item = requireLiveItem(scheduleId, itemId);
      if (!force) {
        const at = Date.parse(scheduledTime);
        if (at < clock.now()) {
          throw new BridgeFailure('validation_failed', 'this time is in the past; choose a later time or force the change', [
            { path: 'scheduledTime', message: 'in the past' },
          ]);
        }
      }
      const patch = { scheduled_time: scheduledTime };
      const local = patchedItem(item, patch);
      const result = await submit(
        { kind: 'reschedule_item', scheduleId: item.schedule_id, itemId: item.id, patch, ifMatch: expectedVersion ?? item.version, before: item },
        `Move “${item.content_id}” (${item.platform}) in “${schedule.record.title}” to ${scheduledTime}`,
        () => cache.putItem(local, true),
        { kind: 'item', id: item.id, value: local },
      );
      return { queued: result.queued, outboxId: result.outboxId };
    },

    'items.update': async ({ scheduleId, itemId, patch, expectedVersion }) => {
      requireSchedule(scheduleId);
      const item = requireLiveItem(scheduleId, itemId);
      const local = patchedItem(item, patch);
      const kind = patch.scheduled_time ? 'reschedule_item' : 'update_item';
      const result = await submit(
        { kind, scheduleId: item.schedule_id, itemId: item.id, patch, ifMatch: expectedVersion ?? item.version, before: item },
        `Edit “${item.content_id}” (${item.platform})`,
        () => cache.putItem(local, true),
        { kind: 'item', id: item.id, value: local },
      );
      return { queued: result.queued, outboxId: result.outboxId };
    },

    'items.cancel': async ({ scheduleId, itemId }) => {
      requireSchedule(scheduleId);
      const item = requireLiveItem(scheduleId, itemId);
      const local = { ...item, status: 'cancelled' as const };
      const result = await submit(
        { kind: 'cancel_item', scheduleId: item.schedule_id, itemId: item.id, ifMatch: item.version, before: item },
        `Cancel “${item.content_id}” (${item.platform})`,
        () => cache.putItem(local, true),
        { kind: 'item', id: item.id, value: local },
      );
      return { queued: result.queued, outboxId: result.outboxId };
    },
  };
}
