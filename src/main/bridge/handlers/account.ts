/** account.*: the connected account's API keys and its webhook endpoint (Settings → Account). */
import type { SchedulingApi } from '../../services/api-client/scheduling-api';
import type { MainServices } from '../../services/main-services';
import type { BridgeHandlers } from '../dispatcher';
import { BridgeFailure } from '../errors';
import { connectedApi, guarded } from './failures';

type AccountMethods = 'account.keys' | 'account.revokeKey' | 'account.webhook' | 'account.setWebhook' | 'account.deleteWebhook';

export function accountHandlers(services: MainServices): Pick<BridgeHandlers, AccountMethods> {
  const api = (): SchedulingApi => connectedApi(services);
  return {
    'account.keys': () => guarded(() => api().listKeys()),
    'account.revokeKey': ({ id }) =>
      guarded(async () => {
        const client = api();
        const key = (await client.listKeys()).find((candidate) => candidate.id === id);
        if (!key) throw new BridgeFailure('not_found', `API key ${id} does not exist in this account`);
        // Revoking the key the app signs in with would cut the app off from its own engine.
        if (key.current) throw new BridgeFailure('validation_failed', 'this app uses that key; connect with another key first', [{ path: 'id', message: 'the key in use' }]);
        return client.revokeKey(id);
      }),
    'account.webhook': () => guarded(() => api().getWebhook()),
    'account.setWebhook': ({ url, rotateSecret }) => guarded(() => api().setWebhook(url, rotateSecret)),
    'account.deleteWebhook': () => guarded(async () => ({ removed: await api().deleteWebhook() })),
  };
}
