import type { PointDetector, Verdict } from './detector.js';
import { RollingMedian } from './rolling-median.js';

/**
 * Spikes: one reading far from the recent median, measured in robust spreads (median absolute
 * deviation of the last `window` readings, Hampel filter). A spike is flagged for its own
 * reading only; it does not latch.
 */
export interface SpikeOptions {
  readonly window: number;
  /** Distance from the median, in MAD-based standard deviations, that makes a spike. */
  readonly k: number;
  /** Smallest spread assumed, absolute units (quantised or quiet signals have MAD 0). */
  readonly minSpread?: number;
}

export class SpikeDetector implements PointDetector {
  private readonly history: RollingMedian;

  constructor(private readonly opts: SpikeOptions) {
    this.history = new RollingMedian(opts.window);
  }

  update(_ts: number, value: number): Verdict {
    let score = 0;
    if (this.history.size >= Math.min(this.opts.window, 5)) {
      const med = this.history.median();
      const spread = Math.max(1.4826 * this.history.mad(med), this.opts.minSpread ?? 1e-12);
      score = Math.abs(value - med) / spread / this.opts.k;
    }
    // A spike does not enter the history, so a burst of spikes cannot hide itself.
    if (score <= 1) this.history.push(value);
    return { active: score > 1, score };
  }
}
