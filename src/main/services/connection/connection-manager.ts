/**
 * Which server the app talks to, and with which credentials. Embedded (default): the engine
 * started in-process, with an API key created on first run directly in the engine's storage
 * and kept in the SecretStore. Remote: a base URL (connection.json, not secret) with the API
 * key and optional signing secret in the SecretStore. Command-line credentials win for the
 * session and are not stored.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ConnectionInfo, EngineMode } from '../../../shared/bridge';
import { createAccountWithKey, hashSecret } from '../../../server/storage/accounts';
import type { SecretStore } from '../../ports';
import type { EmbeddedEngine } from '../engine/embedded-engine';

export const SECRET_NAMES = {
  embeddedKey: 'embedded.apiKey',
  remoteKey: 'remote.apiKey',
  remoteSigning: 'remote.signingSecret',
} as const;

const StoredConnectionSchema = z.object({ mode: z.enum(['embedded', 'remote']), apiUrl: z.string().nullable() });

export interface ResolvedConnection {
  mode: EngineMode;
  baseUrl: string;
  apiKey: string;
  signingSecret: string | null;
}

export interface ConnectionManagerOptions {
  dataDir: string;
  secrets: SecretStore;
  engine: EmbeddedEngine;
  /** From the command line: remote credentials for this session only. */
  override?: { apiUrl: string; apiKey: string; signingSecret?: string } | null;
}

export class ConnectionManager {
  private mode: EngineMode;
  private apiUrl: string | null;
  private override: ConnectionManagerOptions['override'];
  /** An embedded key made this session when the SecretStore cannot keep one. */
  private sessionEmbeddedKey: string | null = null;

  constructor(private readonly options: ConnectionManagerOptions) {
    this.override = options.override ?? null;
    const stored = this.readStored();
    this.mode = this.override ? 'remote' : stored.mode;
    this.apiUrl = this.override ? this.override.apiUrl : stored.apiUrl;
  }

  get currentMode(): EngineMode {
    return this.mode;
  }

  private get file(): string {
    return join(this.options.dataDir, 'connection.json');
  }

  private readStored(): z.infer<typeof StoredConnectionSchema> {
    try {
      if (existsSync(this.file)) {
        const parsed = StoredConnectionSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
        if (parsed.success && (parsed.data.mode === 'embedded' || parsed.data.apiUrl)) return parsed.data;
      }
    } catch {
      // unreadable: defaults
    }
    return { mode: 'embedded', apiUrl: null };
  }

  private writeStored(): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ mode: this.mode, apiUrl: this.apiUrl }), { mode: 0o600 });
    renameSync(temp, this.file);
  }

  async info(): Promise<ConnectionInfo> {
    const problem = this.options.secrets.unavailableReason();
    const remote = this.mode === 'remote';
    const key = remote ? (this.override?.apiKey ?? (await this.safeGet(SECRET_NAMES.remoteKey))) : null;
    const signing = remote ? (this.override?.signingSecret ?? (await this.safeGet(SECRET_NAMES.remoteSigning))) : null;
    return {
      mode: this.mode,
      apiUrl: remote ? this.apiUrl : this.options.engine.url,
      hasApiKey: remote ? Boolean(key) : true,
      hasSigningSecret: Boolean(signing),
      secretStoreProblem: problem,
    };
  }

  private async safeGet(name: string): Promise<string | null> {
    try {
      return await this.options.secrets.get(name);
    } catch {
      return null;
    }
  }

  /** The server and credentials to use now; null when remote mode lacks them. */
  async resolve(): Promise<ResolvedConnection | null> {
    if (this.mode === 'remote') {
      if (this.override) {
        return { mode: 'remote', baseUrl: trimUrl(this.override.apiUrl), apiKey: this.override.apiKey, signingSecret: this.override.signingSecret ?? null };
      }
      const apiKey = await this.safeGet(SECRET_NAMES.remoteKey);
      if (!this.apiUrl || !apiKey) return null;
      return { mode: 'remote', baseUrl: trimUrl(this.apiUrl), apiKey, signingSecret: await this.safeGet(SECRET_NAMES.remoteSigning) };
    }
    const url = await this.options.engine.start();
    return { mode: 'embedded', baseUrl: trimUrl(url), apiKey: await this.embeddedKey(), signingSecret: null };
  }

  /** The embedded engine's key: the stored one while the engine knows it, else a new one. */
  private async embeddedKey(): Promise<string> {
    const server = this.options.engine.instance;
    if (!server) throw new Error('the embedded engine is not running');
    const db = server.context.storage.db;
    const stored = this.sessionEmbeddedKey ?? (await this.safeGet(SECRET_NAMES.embeddedKey));
    if (stored) {
      const row = await db.selectFrom('api_keys').select('id').where('key_hash', '=', hashSecret(stored)).where('revoked_at', 'is', null).executeTakeFirst();
      if (row) return stored;
    }
    const created = await createAccountWithKey(db, { name: 'This computer' });
    try {
      await this.options.secrets.set(SECRET_NAMES.embeddedKey, created.apiKey);
    } catch {
      // No safe place to keep it: a fresh key each session is better than a plain-text one.
      this.sessionEmbeddedKey = created.apiKey;
    }
    return created.apiKey;
  }

  async switchTo(
    update: { mode: 'embedded' } | { mode: 'remote'; apiUrl: string; apiKey?: string | undefined; signingSecret?: string | null | undefined },
  ): Promise<void> {
    if (update.mode === 'remote') {
      const problem = this.options.secrets.unavailableReason();
      if (problem && (update.apiKey || update.signingSecret)) throw new SecretStoreUnavailable(problem);
      if (update.apiKey) await this.options.secrets.set(SECRET_NAMES.remoteKey, update.apiKey);
      if (update.signingSecret === null) await this.options.secrets.delete(SECRET_NAMES.remoteSigning);
      else if (update.signingSecret) await this.options.secrets.set(SECRET_NAMES.remoteSigning, update.signingSecret);
      if (!update.apiKey && !(await this.safeGet(SECRET_NAMES.remoteKey))) throw new MissingApiKey();
      this.apiUrl = update.apiUrl;
    }
    this.mode = update.mode;
    this.override = null;
    this.writeStored();
  }

  /** A stable name of the account behind the connection, to scope the cache. */
  static identity(resolved: ResolvedConnection): string {
    return resolved.mode === 'embedded' ? 'embedded' : `${resolved.baseUrl}#${hashSecret(resolved.apiKey).slice(0, 16)}`;
  }
}

export class SecretStoreUnavailable extends Error {}
export class MissingApiKey extends Error {
  constructor() {
    super('remote mode needs an API key');
  }
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
