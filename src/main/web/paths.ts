import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the web host keeps data when no --data-dir is given (XDG on Linux). */
export function defaultDataDir(): string {
  return process.env.CADENCE_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'cadence');
}
