import type { PointDetector, Verdict } from './detector.js';

/**
 * Stuck sensor: the value has not moved by more than `tolerance` for `minDurationMs`. A live
 * analogue signal always carries some noise; a frozen one is a failed transmitter or a
 * gateway repeating its last good value.
 */
export interface StuckOptions {
  readonly minDurationMs: number;
  /** Largest change still counted as "not moving" (absolute units). */
  readonly tolerance?: number;
}

export class StuckDetector implements PointDetector {
  private anchor: number | undefined;
  private since = 0;

  constructor(private readonly opts: StuckOptions) {}

  update(ts: number, value: number): Verdict {
    const tol = this.opts.tolerance ?? 0;
    if (this.anchor === undefined || Math.abs(value - this.anchor) > tol) {
      this.anchor = value;
      this.since = ts;
    }
    const held = ts - this.since;
    return { active: held >= this.opts.minDurationMs, score: held / this.opts.minDurationMs };
  }
}
