import { linearRegression } from 'simple-statistics';
import type { PointDetector, Verdict } from './detector.js';

/**
 * Trend prediction: fits a line to the readings of the last `windowMs` and, when it heads
 * for `limit`, estimates the time until it gets there (bearing temperature creeping up,
 * door close time lengthening). Raises when that time is shorter than `horizonMs`.
 * Uses the Theil–Sen slope (median of pairwise slopes, robust to spikes) when `robust`.
 */
export interface TrendOptions {
  readonly limit: number;
  readonly direction: 'rising' | 'falling';
  readonly windowMs: number;
  readonly horizonMs: number;
  /** Readings needed in the window before predicting. */
  readonly minPoints: number;
  readonly robust?: boolean;
}

export interface TrendVerdict extends Verdict {
  /** Units per second (NaN until enough readings). */
  readonly slopePerSecond: number;
  /** Estimated ms until the limit; Infinity when heading away; 0 when already beyond. */
  readonly timeToLimitMs: number;
}

const MAX_POINTS = 512;

export class TrendDetector implements PointDetector<TrendVerdict> {
  private readonly pts: [number, number][] = [];

  constructor(private readonly opts: TrendOptions) {}

  update(ts: number, value: number): TrendVerdict {
    this.pts.push([ts, value]);
    while (this.pts.length > 0 && ts - (this.pts[0]?.[0] ?? ts) > this.opts.windowMs) this.pts.shift();
    // Keep fits cheap on fast points: thin the window by dropping every other old reading.
    if (this.pts.length > MAX_POINTS) for (let i = 1; i < this.pts.length / 2; i += 1) this.pts.splice(i, 1);
    const sign = this.opts.direction === 'rising' ? 1 : -1;
    if (sign * (value - this.opts.limit) >= 0) {
      return { active: true, score: 1, slopePerSecond: Number.NaN, timeToLimitMs: 0 };
    }
    if (this.pts.length < this.opts.minPoints) {
      return { active: false, score: 0, slopePerSecond: Number.NaN, timeToLimitMs: Number.POSITIVE_INFINITY };
    }
    const t0 = this.pts[0]?.[0] ?? ts;
    const xy = this.pts.map(([t, v]): [number, number] => [(t - t0) / 1000, v]);
    const { m, b } = this.opts.robust ? theilSen(xy) : linearRegression(xy);
    const slope = sign * m;
    const now = (ts - t0) / 1000;
    const level = m * now + b;
    const timeToLimitMs =
      slope > 0 ? Math.max(0, ((this.opts.limit - level) * sign * 1000) / slope) : Number.POSITIVE_INFINITY;
    const active = timeToLimitMs <= this.opts.horizonMs;
    return {
      active,
      score: Number.isFinite(timeToLimitMs) ? this.opts.horizonMs / Math.max(timeToLimitMs, 1) : 0,
      slopePerSecond: m,
      timeToLimitMs,
    };
  }
}

/** Theil–Sen estimator (Sen 1968): median pairwise slope, intercept from the median residual. */
function theilSen(xy: readonly [number, number][]): { m: number; b: number } {
  const slopes: number[] = [];
  const step = Math.max(1, Math.floor(xy.length / 64)); // ~2k pairs at most
  for (let i = 0; i < xy.length; i += step) {
    for (let j = i + step; j < xy.length; j += step) {
      const [xi, yi] = xy[i] as [number, number];
      const [xj, yj] = xy[j] as [number, number];
      if (xj !== xi) slopes.push((yj - yi) / (xj - xi));
    }
  }
  const med = (a: number[]) => {
    a.sort((p, q) => p - q);
    const n = a.length;
    return n % 2 ? (a[n >> 1] as number) : ((a[(n >> 1) - 1] as number) + (a[n >> 1] as number)) / 2;
  };
  const m = slopes.length ? med(slopes) : 0;
  const b = med(xy.map(([x, y]) => y - m * x));
  return { m, b };
}
