import { AlarmState } from './alarm-state.js';
import type { PointDetector, Verdict } from './detector.js';

/**
 * Rate of change over a time window: flags a point that moves faster than `maxPerSecond`
 * (absolute units per second), measured between the newest reading and the oldest one still
 * inside `windowMs`, so single-reading noise does not trip it.
 */
export interface RateOfChangeOptions {
  readonly maxPerSecond: number;
  readonly windowMs: number;
  readonly raiseAfterMs?: number;
  readonly clearAfterMs?: number;
}

export interface RateVerdict extends Verdict {
  /** Units per second over the window (NaN until the window holds two readings). */
  readonly rate: number;
}

export class RateOfChangeDetector implements PointDetector<RateVerdict> {
  private readonly times: number[] = [];
  private readonly values: number[] = [];
  private head = 0;
  private readonly alarm: AlarmState;

  constructor(private readonly opts: RateOfChangeOptions) {
    this.alarm = new AlarmState({
      raiseAfterMs: opts.raiseAfterMs ?? 0,
      clearAfterMs: opts.clearAfterMs ?? 0,
    });
  }

  update(ts: number, value: number): RateVerdict {
    this.times.push(ts);
    this.values.push(value);
    while (ts - (this.times[this.head] ?? ts) > this.opts.windowMs) this.head += 1;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.values.splice(0, this.head);
      this.head = 0;
    }
    const t0 = this.times[this.head] ?? ts;
    const dt = (ts - t0) / 1000;
    const rate = dt > 0 ? (value - (this.values[this.head] ?? value)) / dt : Number.NaN;
    const over = Number.isFinite(rate) && Math.abs(rate) > this.opts.maxPerSecond;
    const active = this.alarm.step(ts, over, !over);
    return { active, score: Number.isFinite(rate) ? Math.abs(rate) / this.opts.maxPerSecond : 0, rate };
  }
}
