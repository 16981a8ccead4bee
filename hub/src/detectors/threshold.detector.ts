import { AlarmState } from './alarm-state.js';
import type { PointDetector, Verdict } from './detector.js';

/**
 * Limit alarm with hysteresis and hold times: raises when the value stays beyond `raise` for
 * `raiseAfterMs`, clears when it stays back within `clear` for `clearAfterMs`. For a high
 * limit `clear` < `raise`; for a low limit (`direction: 'low'`) `clear` > `raise`.
 */
export interface ThresholdOptions {
  readonly direction: 'high' | 'low';
  readonly raise: number;
  readonly clear: number;
  readonly raiseAfterMs?: number;
  readonly clearAfterMs?: number;
}

export class ThresholdDetector implements PointDetector {
  private readonly alarm: AlarmState;

  constructor(private readonly opts: ThresholdOptions) {
    const ok = opts.direction === 'high' ? opts.clear <= opts.raise : opts.clear >= opts.raise;
    if (!ok) throw new RangeError(`threshold: clear ${opts.clear} must be inside raise ${opts.raise}`);
    this.alarm = new AlarmState({
      raiseAfterMs: opts.raiseAfterMs ?? 0,
      clearAfterMs: opts.clearAfterMs ?? 0,
    });
  }

  update(ts: number, value: number): Verdict {
    const { direction, raise, clear } = this.opts;
    const sign = direction === 'high' ? 1 : -1;
    const beyond = sign * (value - raise) > 0;
    const within = sign * (value - clear) < 0;
    const active = this.alarm.step(ts, beyond, within);
    return { active, score: Math.max(0, sign * (value - clear)) };
  }
}
