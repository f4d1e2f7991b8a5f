/**
 * Watches the engine the app talks to and reports connected/offline as the main process sees
 * it. A health probe that fails or times out turns the status offline (since the first
 * failure); the next good probe turns it back.
 */
import { HealthSchema } from '../../../shared/api/resources';
import type { EngineMode, EngineStatus } from '../../../shared/bridge';
import type { Clock } from '../../ports';

export interface EngineMonitorOptions {
  mode: EngineMode;
  clock: Clock;
  /** How often to probe while connected or offline. */
  intervalMs?: number;
  timeoutMs?: number;
  /** Current base URL of the engine (null while there is none). */
  baseUrl: () => string | null;
  onChange: (status: EngineStatus) => void;
}

export class EngineMonitor {
  private status: EngineStatus;
  private timer: NodeJS.Timeout | null = null;
  private probing: Promise<EngineStatus> | null = null;
  private stopped = true;

  constructor(private readonly options: EngineMonitorOptions) {
    this.status = { state: 'connecting', mode: options.mode, url: options.baseUrl(), since: this.iso() };
  }

  get current(): EngineStatus {
    return this.status;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.checkNow();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Probes at once (coalescing concurrent calls) and returns the resulting status. */
  checkNow(): Promise<EngineStatus> {
    if (!this.probing) {
      this.probing = this.probe().finally(() => {
        this.probing = null;
        this.schedule();
      });
    }
    return this.probing;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.checkNow(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  private async probe(): Promise<EngineStatus> {
    // A probe answers for the engine it asked. If the engine changed meanwhile (stopped, moved,
    // another connection), its answer is stale: reporting it would flash a failure of an engine
    // that is already gone (a probe cut by the embedded engine's stop said 'connection reset'
    // just before the stop's own status). Ask again instead.
    for (;;) {
      const url = this.options.baseUrl();
      if (!url) return this.set({ state: 'offline', mode: this.options.mode, url: null, since: this.iso(), reason: 'engine is not running' });
      const next = await this.ask(url);
      if (this.options.baseUrl() === url) return this.set(next);
    }
  }

  private async ask(url: string): Promise<EngineStatus> {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 1500) });
      const health = HealthSchema.safeParse(await response.json());
      if (!health.success) throw new Error('engine answered /health with an unexpected body');
      if (health.data.status !== 'healthy') {
        throw new Error(`engine unhealthy: ${(health.data.failing ?? []).join(', ') || 'unknown part'}`);
      }
      return { state: 'connected', mode: this.options.mode, url, version: health.data.version, since: this.iso() };
    } catch (error) {
      return { state: 'offline', mode: this.options.mode, url, since: this.iso(), reason: describeFailure(error) };
    }
  }

  /**
   * Keeps `since` from the first moment of a state; emits only real changes. An offline reason
   * follows the latest failure (a server killed mid-probe first resets the connection, then
   * refuses it: the status should end up saying what is true now).
   */
  private set(next: EngineStatus): EngineStatus {
    const previous = this.status;
    const sameState =
      previous.state === next.state &&
      previous.url === next.url &&
      (next.state !== 'connected' || (previous.state === 'connected' && previous.version === next.version));
    if (sameState) {
      if (previous.state !== 'offline' || next.state !== 'offline' || previous.reason === next.reason) return previous;
      next = { ...next, since: previous.since };
    }
    this.status = next;
    this.options.onChange(next);
    return next;
  }

  private iso(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    // fetch says only "fetch failed"; its cause says why.
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') return 'connection refused';
    if (cause?.code === 'ECONNRESET' || cause?.code === 'UND_ERR_SOCKET') return 'connection reset';
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer within the timeout';
    return cause?.message ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
