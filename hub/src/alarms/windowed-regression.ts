/**
 * Least-squares line over a sliding time window in O(1) per reading and bounded memory: the
 * window is cut into 64 buckets that each keep their sums (n, Σt, Σv, Σt², Σtv); the totals
 * are running sums, and a bucket leaving the window is subtracted. Times are seconds from an
 * origin that is moved forward (with the exact shift of the sums) so they stay small.
 */
const BUCKETS = 64;

interface Sums {
  n: number;
  t: number;
  v: number;
  tt: number;
  tv: number;
}

export interface LineFit {
  /** Units per second. */
  slope: number;
  /** The fitted value at the latest reading's time. */
  level: number;
  n: number;
}

export class WindowedRegression {
  private readonly bucketMs: number;
  private readonly buckets: Array<Sums & { start: number }> = [];
  private total: Sums = { n: 0, t: 0, v: 0, tt: 0, tv: 0 };
  private origin: number | undefined;

  constructor(private readonly windowMs: number) {
    this.bucketMs = Math.max(1, windowMs / BUCKETS);
  }

  add(ts: number, value: number): void {
    this.origin ??= ts;
    if (ts - this.origin > 4 * this.windowMs) this.rebase(ts - this.windowMs);
    const start = ts - (ts % this.bucketMs);
    let bucket = this.buckets.at(-1);
    if (!bucket || bucket.start !== start) {
      bucket = { start, n: 0, t: 0, v: 0, tt: 0, tv: 0 };
      this.buckets.push(bucket);
    }
    const t = (ts - this.origin) / 1000;
    accumulate(bucket, t, value);
    accumulate(this.total, t, value);
    while (this.buckets.length > 0 && (this.buckets[0]?.start ?? ts) + this.bucketMs <= ts - this.windowMs) {
      const old = this.buckets.shift() as Sums;
      this.total.n -= old.n;
      this.total.t -= old.t;
      this.total.v -= old.v;
      this.total.tt -= old.tt;
      this.total.tv -= old.tv;
    }
  }

  /**
   * Fits the line at `ts` into `out` (reused: no allocation per reading); false with fewer than
   * `minPoints` readings or no time spread.
   */
  fit(ts: number, minPoints: number, out: LineFit): boolean {
    const { n, t, v, tt, tv } = this.total;
    if (n < minPoints || this.origin === undefined) return false;
    const den = n * tt - t * t;
    if (!(den > 1e-9 * n * n)) return false;
    const slope = (n * tv - t * v) / den;
    const intercept = (v - slope * t) / n;
    out.slope = slope;
    out.level = intercept + slope * ((ts - this.origin) / 1000);
    out.n = n;
    return true;
  }

  /** Moves the origin to `to` (ms), shifting every sum exactly: t' = t − d. */
  private rebase(to: number): void {
    const d = (to - (this.origin ?? to)) / 1000;
    const shift = (s: Sums) => {
      s.tt = s.tt - 2 * d * s.t + s.n * d * d;
      s.tv = s.tv - d * s.v;
      s.t = s.t - s.n * d;
    };
    shift(this.total);
    for (const b of this.buckets) shift(b);
    this.origin = to;
  }
}

function accumulate(s: Sums, t: number, value: number): void {
  s.n += 1;
  s.t += t;
  s.v += value;
  s.tt += t * t;
  s.tv += t * value;
}
