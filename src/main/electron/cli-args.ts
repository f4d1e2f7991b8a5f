/** Command-line options shared by `npm start` (Electron) and the web host. */
import { parseArgs } from 'node:util';

export interface LaunchArgs {
  dataDir?: string | undefined;
  apiUrl?: string | undefined;
  apiKey?: string | undefined;
  signingSecret?: string | undefined;
}

export function parseLaunchArgs(argv: string[]): LaunchArgs {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      'data-dir': { type: 'string' },
      'api-url': { type: 'string' },
      'api-key': { type: 'string' },
      'signing-secret': { type: 'string' },
    },
  });
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  return {
    dataDir: text(values['data-dir']),
    apiUrl: text(values['api-url']),
    apiKey: text(values['api-key']),
    signingSecret: text(values['signing-secret']),
  };
}
