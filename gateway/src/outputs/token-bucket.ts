/**
 * A token bucket: `ratePerS` tokens a second, at most `burst` saved up. Paces the replay of the
 * spool's backlog so that a long outage does not flood the broker and the hub when it ends.
 */
export class TokenBucket {
  readonly #ratePerS: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(options: { ratePerS: number; burst: number; now: () => number }) {
    if (!(options.ratePerS > 0) || !(options.burst >= 1))
      throw new RangeError('rate must be > 0, burst >= 1');
    this.#ratePerS = options.ratePerS;
    this.#burst = options.burst;
    this.#now = options.now;
    this.#tokens = options.burst;
    this.#at = options.now();
  }

  /** Whole tokens available now (without taking them). */
  available(): number {
    this.#refill();
    return Math.floor(this.#tokens);
  }

  /** Takes up to `wanted` tokens; returns how many were granted. */
  take(wanted: number): number {
    this.#refill();
    const granted = Math.max(0, Math.min(Math.floor(this.#tokens), Math.floor(wanted)));
    this.#tokens -= granted;
    return granted;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#at);
    this.#at = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#ratePerS) / 1000);
  }
}
