/**
 * Notifications: published and failed items (from live events) and reminders N minutes before
 * an item is due (settings.notifications), each shown once — ids are persisted in the cache, so
 * a restart or a replayed event does not show it again. The host's Notifier shows them
 * (native in Electron, `notification` bridge events in the web host).
 */
import type { ServerEvent } from '../../../shared/api/events';
import type { CalendarEvent, Settings } from '../../../shared/bridge';
import type { Clock, Notification, Notifier } from '../../ports';
import type { CacheStore } from '../cache/cache-store';

/** Events older than this when they arrive (a replay after days offline) do not notify. */
const STALE_EVENT_MS = 60 * 60_000;

export class NotificationService {
  private timer: NodeJS.Timeout | null = null;
  paused = false;

  constructor(
    private readonly options: {
      cache: CacheStore;
      notifier: Notifier;
      clock: Clock;
      settings: () => Settings;
      checkEveryMs?: number;
    },
  ) {}

  /** The zone times are shown in (settings, else the system's). */
  zone(): string {
    return this.options.settings().displayTimeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.checkReminders(), this.options.checkEveryMs ?? 30_000);
    this.timer.unref();
    this.checkReminders();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private show(notification: Notification): boolean {
    if (this.paused || !this.options.settings().notifications.enabled) return false;
    if (!this.options.cache.claimNotification(notification.id, this.options.clock.now())) return false;
    this.options.notifier.notify(notification);
    return true;
  }

  onEvents(events: ServerEvent[]): void {
    const prefs = this.options.settings().notifications;
    const now = this.options.clock.now();
    for (const event of events) {
      if (now - Date.parse(event.occurred_at) > STALE_EVENT_MS) continue;
      const d = event.data;
      const content = typeof d.content_id === 'string' ? d.content_id : 'An item';
      if (event.type === 'item.status_changed' && d.status === 'published' && prefs.published) {
        this.show({ id: `published:${String(d.id)}`, kind: 'published', title: 'Published', body: `${content} was published on ${String(d.platform)}` });
      } else if (event.type === 'item.status_changed' && d.status === 'failed' && prefs.failed) {
        const reason = typeof d.failure_reason === 'string' ? `: ${d.failure_reason}` : '';
        this.show({ id: `failed:${String(d.id)}`, kind: 'failed', title: 'Publishing failed', body: `${content} could not be published on ${String(d.platform)}${reason}` });
      } else if (event.type === 'item.due_soon' && prefs.dueSoonMinutes > 0) {
        this.remind(d as unknown as CalendarEvent);
      }
    }
  }

  private remind(item: Pick<CalendarEvent, 'id' | 'content_id' | 'platform' | 'scheduled_time'>): void {
    const minutes = Math.max(0, Math.round((Date.parse(item.scheduled_time) - this.options.clock.now()) / 60_000));
    this.show({
      // Keyed by the time too: a rescheduled item is reminded again at its new time.
      id: `due:${item.id}:${item.scheduled_time}`,
      kind: 'due_soon',
      title: minutes <= 1 ? 'Due now' : `Due in ${minutes} minutes`,
      body: `${item.content_id} on ${item.platform} at ${new Intl.DateTimeFormat('en-GB', { timeZone: this.zone(), hour: '2-digit', minute: '2-digit' }).format(new Date(item.scheduled_time))}`,
    });
  }

  /** Reminds of every scheduled item due within the reminder window. */
  checkReminders(): number {
    const prefs = this.options.settings().notifications;
    if (prefs.dueSoonMinutes <= 0) return 0;
    const now = this.options.clock.now();
    let shown = 0;
    for (const item of this.options.cache.range(now, now + prefs.dueSoonMinutes * 60_000)) {
      if (item.status !== 'scheduled') continue;
      const before = this.paused;
      this.remind(item);
      if (!before) shown++;
    }
    return shown;
  }
}

/** The next `count` scheduled items from now (the tray shows three). */
export function upcomingItems(cache: CacheStore, nowMs: number, count = 3): CalendarEvent[] {
  const out: CalendarEvent[] = [];
  for (const days of [1, 7, 31, 366]) {
    out.length = 0;
    for (const item of cache.range(nowMs, nowMs + days * 24 * 3600_000)) {
      if (item.status === 'scheduled') out.push(item);
      if (out.length >= count) return out;
    }
  }
  return out;
}

/** The tray menu as plain data (Electron turns it into a Menu). */
export function trayMenuModel(upcoming: CalendarEvent[], paused: boolean, zone: string): Array<{ label: string; enabled: boolean; action?: 'open' | 'toggle-pause' | 'quit' }> {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit' });
  const entries: Array<{ label: string; enabled: boolean; action?: 'open' | 'toggle-pause' | 'quit' }> = [{ label: 'Open Cadence', enabled: true, action: 'open' }];
  entries.push({ label: upcoming.length ? 'Next up' : 'Nothing scheduled', enabled: false });
  for (const item of upcoming) {
    const title = item.title ?? item.content_id;
    entries.push({ label: `${fmt.format(new Date(item.scheduled_time))} · ${item.platform} · ${title}`.slice(0, 80), enabled: false });
  }
  entries.push({ label: paused ? 'Resume notifications' : 'Pause notifications', enabled: true, action: 'toggle-pause' });
  entries.push({ label: 'Quit', enabled: true, action: 'quit' });
  return entries;
}
