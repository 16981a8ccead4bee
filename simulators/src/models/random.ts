import type { Random } from '@caretaker/protocol';

// Seeded randomness lives in the protocol module: the hub's benchmarks and tests use it too.
export { createRandom, type Random } from '@caretaker/protocol';

/**
 * Ornstein-Uhlenbeck process: a random walk pulled back to zero, so it wanders smoothly but
 * never drifts away. Uses the exact discretisation, so it behaves the same whatever the step
 * (one tick of 500 ms or one step of an hour in a test).
 */
export class OrnsteinUhlenbeck {
  private x: number;

  /**
   * @param sigma long-run standard deviation
   * @param tauMs correlation time: how long the walk remembers where it was
   */
  constructor(
    private readonly random: Random,
    private readonly sigma: number,
    private readonly tauMs: number,
    initial?: number,
  ) {
    this.x = initial ?? sigma * random.normal();
  }

  get value(): number {
    return this.x;
  }

  step(dtMs: number): number {
    if (dtMs <= 0) return this.x;
    const decay = Math.exp(-dtMs / this.tauMs);
    this.x = this.x * decay + this.sigma * Math.sqrt(1 - decay * decay) * this.random.normal();
    return this.x;
  }
}

/** Moves `current` toward `target` as a first-order lag with time constant `tauMs`. */
export function firstOrderLag(current: number, target: number, dtMs: number, tauMs: number): number {
  if (dtMs <= 0) return current;
  return target + (current - target) * Math.exp(-dtMs / tauMs);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
