/** Live events as an activity feed: one human sentence per event, with a tone for the UI. */
import type { ServerEvent } from '../../../shared/api/events';
import type { ActivityEntry } from '../../../shared/bridge';

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function when(iso: unknown): string {
  const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? 'an unknown time' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

const PLATFORM_NAMES: Record<string, string> = { youtube: 'YouTube', tiktok: 'TikTok', instagram: 'Instagram', linkedin: 'LinkedIn' };
const platform = (value: unknown) => PLATFORM_NAMES[text(value)] ?? text(value, 'its platform');

export function describeEvent(event: ServerEvent): ActivityEntry {
  const d = event.data;
  const base = {
    id: `evt_${event.seq}`,
    at: event.occurred_at,
    type: event.type,
    scheduleId: event.schedule_id,
    itemId: event.type.startsWith('item.') ? text(d.id) || null : null,
  };
  const content = `“${text(d.content_id, 'an item')}”`;
  switch (event.type) {
    case 'schedule.created': {
      const count = Array.isArray(d.items) ? d.items.length : Number(d.item_count ?? 0);
      return { ...base, message: `Schedule “${text(d.title)}” created with ${count} item${count === 1 ? '' : 's'}`, tone: 'success' };
    }
    case 'schedule.updated':
      return { ...base, message: `Schedule “${text(d.title)}” updated`, tone: 'info' };
    case 'schedule.deleted':
      return { ...base, message: `Schedule “${text(d.title)}” cancelled`, tone: 'warning' };
    case 'item.created':
      return { ...base, message: `${content} scheduled on ${platform(d.platform)} for ${when(d.scheduled_time)}`, tone: 'info' };
    case 'item.rescheduled':
      return { ...base, message: `${content} on ${platform(d.platform)} moved to ${when(d.scheduled_time)}`, tone: 'info' };
    case 'item.status_changed': {
      const status = text(d.status);
      if (status === 'published') return { ...base, message: `${content} published on ${platform(d.platform)}`, tone: 'success' };
      if (status === 'failed') {
        return { ...base, message: `${content} failed on ${platform(d.platform)}${d.failure_reason ? `: ${text(d.failure_reason)}` : ''}`, tone: 'danger' };
      }
      if (status === 'cancelled') return { ...base, message: `${content} on ${platform(d.platform)} cancelled`, tone: 'warning' };
      return { ...base, message: `${content} is being published on ${platform(d.platform)}`, tone: 'info' };
    }
    case 'item.deleted':
      return { ...base, message: `${content} removed from the schedule`, tone: 'warning' };
    case 'item.due_soon':
      return { ...base, message: `${content} on ${platform(d.platform)} is due at ${when(d.scheduled_time)}`, tone: 'info' };
    case 'optimization.completed': {
      const changes = Array.isArray(d.changes) ? d.changes.length : 0;
      const objective = d.objective as { uplift_pct?: number } | undefined;
      const uplift = typeof objective?.uplift_pct === 'number' ? ` (${objective.uplift_pct >= 0 ? '+' : ''}${objective.uplift_pct.toFixed(1)}% expected)` : '';
      return { ...base, message: `Optimization ${text(d.status, 'finished')}: ${changes} change${changes === 1 ? '' : 's'} proposed${uplift}`, tone: 'info' };
    }
  }
}
