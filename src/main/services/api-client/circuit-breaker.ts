/**
 * closed → (threshold consecutive failures) → open → (cooldown) → half_open → one probe:
 * success closes, failure opens again. Only failures that say the server is unwell count
 * (network, timeouts, 5xx); a 4xx is the server working as designed.
 */
import type { Clock } from '../../ports';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold?: number;
  cooldownMs?: number;
  clock: Clock;
  onChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = 'closed';
  readonly threshold: number;
  readonly cooldownMs: number;

  constructor(private readonly options: BreakerOptions) {
    this.threshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 15_000;
  }

  get state(): BreakerState {
    if (this.current === 'open' && this.options.clock.now() - this.openedAt >= this.cooldownMs) this.set('half_open');
    return this.current;
  }

  /** Ms until an open breaker lets a probe through (0 when it would now). */
  get retryInMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.cooldownMs - this.options.clock.now()) : 0;
  }

  /** Whether a request may go now; in half_open only one probe at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.set('closed');
  }

  failure(): void {
    this.probing = false;
    this.failures += 1;
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.threshold)) {
      this.openedAt = this.options.clock.now();
      this.set('open');
    }
  }

  /** A request that ended without telling us about the server's health (e.g. aborted). */
  release(): void {
    this.probing = false;
  }

  private set(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onChange?.(state);
  }
}
