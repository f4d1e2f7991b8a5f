/** outbox.list/retry/discard and activity.list. */
import type { OutboxEntry } from '../../../shared/bridge';
import type { MainServices } from '../../services/main-services';
import type { StoredEntry } from '../../services/outbox/outbox';
import type { BridgeHandlers } from '../dispatcher';
import { BridgeFailure } from '../errors';
import { guarded } from './failures';

function publicEntry(entry: StoredEntry): OutboxEntry {
  const { seq: _seq, payload: _payload, ...rest } = entry;
  return rest;
}

export function outboxHandlers(services: MainServices): Pick<BridgeHandlers, 'outbox.list' | 'outbox.retry' | 'outbox.discard' | 'activity.list'> {
  const list = () => services.outbox.list().map(publicEntry);
  const requireEntry = (id: string) => {
    if (!services.outbox.get(id)) throw new BridgeFailure('not_found', `outbox entry ${id} does not exist (it may have been sent already)`);
  };
  return {
    'outbox.list': () => guarded(list),
    'outbox.retry': ({ id }) =>
      guarded(() => {
        requireEntry(id);
        services.sync.retry(id);
        return list();
      }),
    'outbox.discard': ({ id }) =>
      guarded(() => {
        requireEntry(id);
        services.sync.discard(id);
        return list();
      }),
    'activity.list': () => guarded(() => services.cache.activity(200)),
  };
}
