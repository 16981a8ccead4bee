import { AlarmState } from './alarm-state.js';
import type { PointDetector, Verdict } from './detector.js';
import { RollingMedian } from './rolling-median.js';

/**
 * Robust baseline: median and MAD of the last `window` normal readings. Outliers barely move
 * a median, so this baseline survives spikes and short faults that would drag an average.
 * Readings taken while the alarm is raised are kept out of the window.
 */
export interface MadBaselineOptions {
  readonly window: number;
  readonly k: number;
  readonly minSpread?: number;
  readonly raiseAfterMs?: number;
  readonly clearAfterMs?: number;
}

export class MadBaselineDetector implements PointDetector {
  private readonly history: RollingMedian;
  private readonly alarm: AlarmState;

  constructor(private readonly opts: MadBaselineOptions) {
    this.history = new RollingMedian(opts.window);
    this.alarm = new AlarmState({
      raiseAfterMs: opts.raiseAfterMs ?? 0,
      clearAfterMs: opts.clearAfterMs ?? 0,
    });
  }

  update(ts: number, value: number): Verdict {
    if (this.history.size < this.opts.window) {
      this.history.push(value);
      return { active: false, score: 0 };
    }
    const med = this.history.median();
    const spread = Math.max(1.4826 * this.history.mad(med), this.opts.minSpread ?? 1e-12);
    const z = Math.abs(value - med) / spread;
    const active = this.alarm.step(ts, z > this.opts.k, z <= this.opts.k);
    if (!active) this.history.push(value);
    return { active, score: z / this.opts.k };
  }
}
