import { describe, expect, it } from 'vitest';
import { parseLaunchArgs } from './cli-args';

describe('launch arguments', () => {
  it('reads the data dir and remote credentials, ignoring Electron/Chromium switches', () => {
    expect(parseLaunchArgs(['--data-dir', '/tmp/c', '--api-url', 'https://api.example.com', '--api-key', 'cad_x', '--signing-secret', 'whsec_y', '--no-sandbox'])).toEqual({
      dataDir: '/tmp/c',
      apiUrl: 'https://api.example.com',
      apiKey: 'cad_x',
      signingSecret: 'whsec_y',
    });
    expect(parseLaunchArgs([])).toEqual({ dataDir: undefined, apiUrl: undefined, apiKey: undefined, signingSecret: undefined });
  });
});
