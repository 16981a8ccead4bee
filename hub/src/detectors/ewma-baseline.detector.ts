import { AlarmState } from './alarm-state.js';
import type { PointDetector, Verdict } from './detector.js';

/**
 * Adaptive baseline by exponentially weighted mean and variance (time-based weights, so
 * irregular sampling is handled): flags readings more than `k` standard deviations from the
 * baseline. The baseline adapts slowly and stops adapting while the alarm is raised, so a
 * lasting shift stays flagged instead of becoming the new normal.
 */
export interface EwmaBaselineOptions {
  /** Time constant of the baseline, ms. */
  readonly timeConstantMs: number;
  readonly k: number;
  /** Readings to see before judging. */
  readonly warmup: number;
  readonly minSpread?: number;
  readonly raiseAfterMs?: number;
  readonly clearAfterMs?: number;
}

export class EwmaBaselineDetector implements PointDetector {
  private mean = 0;
  private variance = 0;
  private n = 0;
  private last: number | undefined;
  private readonly alarm: AlarmState;

  constructor(private readonly opts: EwmaBaselineOptions) {
    this.alarm = new AlarmState({
      raiseAfterMs: opts.raiseAfterMs ?? 0,
      clearAfterMs: opts.clearAfterMs ?? 0,
    });
  }

  update(ts: number, value: number): Verdict {
    const dt = this.last === undefined ? 0 : Math.max(0, ts - this.last);
    this.last = ts;
    this.n += 1;
    if (this.n === 1) {
      this.mean = value;
      return { active: false, score: 0 };
    }
    const sd = Math.max(Math.sqrt(this.variance), this.opts.minSpread ?? 1e-12);
    const z = Math.abs(value - this.mean) / sd;
    const judged = this.n > this.opts.warmup;
    const active = judged && this.alarm.step(ts, z > this.opts.k, z <= this.opts.k);
    // During warm-up adapt fast (running mean), then at the configured time constant.
    const alpha = judged ? 1 - Math.exp(-dt / this.opts.timeConstantMs) : 1 / this.n;
    if (!active) {
      const d = value - this.mean;
      this.mean += alpha * d;
      this.variance = (1 - alpha) * (this.variance + alpha * d * d);
    }
    return { active, score: judged ? z / this.opts.k : 0 };
  }
}
