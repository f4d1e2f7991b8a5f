// Notifications: once per id across restarts, reminders before an item is due, pause.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../shared/api/events';
import type { Item } from '../../../shared/api/resources';
import type { Notification } from '../../ports';
import { DEFAULT_SETTINGS } from '../settings-service';
import { tempDir } from '../../testing/temp';
import { CacheStore } from '../cache/cache-store';
import { openCacheDatabase } from '../cache/database';
import { NotificationService, trayMenuModel, upcomingItems } from './notification-service';

const dir = tempDir('cadence-notify-');
afterAll(() => dir.remove());
const now = Date.parse('2030-03-01T12:00:00Z');

function item(id: string, at: string, extra: Partial<Item> = {}): Item {
  return { id, schedule_id: 's', content_id: `post-${id}`, platform: 'tiktok', channel: 'tiktok', scheduled_time: at, status: 'scheduled', metadata: {}, callbacks: {}, attempts: 0, version: 1, updated_at: at, ...extra };
}

function service(cache: CacheStore, shown: Notification[], settings = DEFAULT_SETTINGS) {
  return new NotificationService({ cache, notifier: { notify: (n) => shown.push(n) }, clock: { now: () => now }, settings: () => settings });
}

describe('notifications', () => {
  it('notifies published and failed once, across restarts, and reminds before items are due', () => {
    const path = join(dir.path, 'cache');
    const events: ServerEvent[] = [
      { seq: 1, type: 'item.status_changed', schedule_id: 's', occurred_at: new Date(now - 1000).toISOString(), data: { ...item('a', '2030-03-01T11:59:00Z'), status: 'published' } },
      { seq: 2, type: 'item.status_changed', schedule_id: 's', occurred_at: new Date(now - 1000).toISOString(), data: { ...item('b', '2030-03-01T11:59:00Z'), status: 'failed', failure_reason: 'webhook answered 500' } },
      // Days old (a replay after a long time offline): no notification.
      { seq: 3, type: 'item.status_changed', schedule_id: 's', occurred_at: '2030-02-01T00:00:00Z', data: { ...item('c', '2030-02-01T00:00:00Z'), status: 'published' } },
    ];
    let opened = openCacheDatabase(path);
    let cache = new CacheStore(opened.db);
    cache.write(() => {
      cache.putItem(item('soon', '2030-03-01T12:10:00Z'));
      cache.putItem(item('later', '2030-03-01T14:00:00Z'));
    });
    const shown: Notification[] = [];
    let notifications = service(cache, shown);
    notifications.onEvents(events);
    expect(notifications.checkReminders()).toBe(1);
    expect(shown.map((n) => [n.kind, n.id])).toEqual([
      ['published', 'published:a'],
      ['failed', 'failed:b'],
      ['due_soon', 'due:soon:2030-03-01T12:10:00Z'],
    ]);
    expect(shown[1]?.body).toContain('webhook answered 500');
    opened.db.close();

    // Restart: the same events and reminders show nothing new.
    opened = openCacheDatabase(path);
    cache = new CacheStore(opened.db);
    notifications = service(cache, shown);
    notifications.onEvents(events);
    notifications.checkReminders();
    expect(shown).toHaveLength(3);

    // Paused (tray) or turned off in settings: nothing.
    cache.write(() => cache.putItem(item('soon2', '2030-03-01T12:05:00Z')));
    notifications.paused = true;
    notifications.checkReminders();
    expect(shown).toHaveLength(3);
    const off = service(cache, shown, { ...DEFAULT_SETTINGS, notifications: { ...DEFAULT_SETTINGS.notifications, dueSoonMinutes: 0 } });
    off.checkReminders();
    expect(shown).toHaveLength(3);
    opened.db.close();
  });

  it('builds the tray menu from the next three scheduled items', () => {
    const opened = openCacheDatabase(join(dir.path, 'tray'));
    const cache = new CacheStore(opened.db);
    cache.write(() => {
      for (const [id, at] of [['1', '2030-03-01T13:00:00Z'], ['2', '2030-03-02T13:00:00Z'], ['3', '2030-03-09T13:00:00Z'], ['4', '2030-04-01T13:00:00Z']] as const) cache.putItem(item(id, at));
      cache.putItem(item('gone', '2030-03-01T12:30:00Z', { status: 'cancelled' }));
    });
    const upcoming = upcomingItems(cache, now, 3);
    expect(upcoming.map((i) => i.id)).toEqual(['1', '2', '3']);
    const menu = trayMenuModel(upcoming, false, 'UTC');
    expect(menu.map((m) => m.label)).toEqual(['Open Cadence', 'Next up', 'Fri 13:00 · tiktok · post-1', 'Sat 13:00 · tiktok · post-2', 'Sat 13:00 · tiktok · post-3', 'Pause notifications', 'Quit']);
    expect(trayMenuModel([], true, 'UTC').map((m) => m.label)).toContain('Resume notifications');
    opened.db.close();
  });
});
