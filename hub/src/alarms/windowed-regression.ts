/**
 * Least-squares line over a sliding time window in O(1) per reading and bounded memory: the
 * window is cut into 64 buckets that each keep their sums (n, Σt, Σv, Σt², Σtv); the totals
 * are running sums, and a bucket leaving the window is subtracted. Times are seconds from an
 * origin that is moved forward (with the exact shift of the sums) so they stay small. The
 * buckets live in a ring of typed arrays: adding a reading allocates nothing.
 */
const BUCKETS = 64;
/** Ring capacity: the window's buckets, the partial ones at both ends, and room to spare. */
const CAPACITY = BUCKETS + 8;

export interface LineFit {
  /** Units per second. */
  slope: number;
  /** The fitted value at the latest reading's time. */
  level: number;
  n: number;
}

export class WindowedRegression {
  private readonly bucketMs: number;
  // Per bucket, in a ring: its start (ms) and sums.
  private readonly start = new Float64Array(CAPACITY);
  private readonly bn = new Float64Array(CAPACITY);
  private readonly bt = new Float64Array(CAPACITY);
  private readonly bv = new Float64Array(CAPACITY);
  private readonly btt = new Float64Array(CAPACITY);
  private readonly btv = new Float64Array(CAPACITY);
  /** Ring position of the oldest bucket, and how many there are. */
  private head = 0;
  private count = 0;
  /** The newest bucket's ring position and time span [from, to). */
  private last = -1;
  private lastFrom = Number.NaN;
  private lastTo = Number.NaN;
  private n = 0;
  private t = 0;
  private v = 0;
  private tt = 0;
  private tv = 0;
  private origin = Number.NaN;

  constructor(private readonly windowMs: number) {
    this.bucketMs = Math.max(1, windowMs / BUCKETS);
  }

  add(ts: number, value: number): void {
    if (Number.isNaN(this.origin)) this.origin = ts;
    if (ts - this.origin > 4 * this.windowMs) this.rebase(ts - this.windowMs);
    if (!(ts >= this.lastFrom && ts < this.lastTo)) this.openBucket(ts);
    const t = (ts - this.origin) / 1000;
    const b = this.last;
    const tv = t * value;
    const tt = t * t;
    this.bn[b] = (this.bn[b] as number) + 1;
    this.bt[b] = (this.bt[b] as number) + t;
    this.bv[b] = (this.bv[b] as number) + value;
    this.btt[b] = (this.btt[b] as number) + tt;
    this.btv[b] = (this.btv[b] as number) + tv;
    this.n += 1;
    this.t += t;
    this.v += value;
    this.tt += tt;
    this.tv += tv;
    const horizon = ts - this.windowMs - this.bucketMs;
    while (this.count > 0 && (this.start[this.head] as number) <= horizon) this.dropOldest();
  }

  /**
   * Fits the line at `ts` into `out` (reused: no allocation per reading); false with fewer than
   * `minPoints` readings or no time spread.
   */
  fit(ts: number, minPoints: number, out: LineFit): boolean {
    const { n, t, v, tt, tv } = this;
    if (n < minPoints || Number.isNaN(this.origin)) return false;
    const den = n * tt - t * t;
    if (!(den > 1e-9 * n * n)) return false;
    const slope = (n * tv - t * v) / den;
    const intercept = (v - slope * t) / n;
    out.slope = slope;
    out.level = intercept + slope * ((ts - this.origin) / 1000);
    out.n = n;
    return true;
  }

  private openBucket(ts: number): void {
    const from = ts - (ts % this.bucketMs);
    if (this.count === CAPACITY) this.dropOldest();
    const b = (this.head + this.count) % CAPACITY;
    this.count += 1;
    this.start[b] = from;
    this.bn[b] = 0;
    this.bt[b] = 0;
    this.bv[b] = 0;
    this.btt[b] = 0;
    this.btv[b] = 0;
    this.last = b;
    this.lastFrom = from;
    this.lastTo = from + this.bucketMs;
  }

  private dropOldest(): void {
    const b = this.head;
    this.n -= this.bn[b] as number;
    this.t -= this.bt[b] as number;
    this.v -= this.bv[b] as number;
    this.tt -= this.btt[b] as number;
    this.tv -= this.btv[b] as number;
    this.head = (b + 1) % CAPACITY;
    this.count -= 1;
  }

  /** Moves the origin to `to` (ms), shifting every sum exactly: t' = t − d. */
  private rebase(to: number): void {
    const d = (to - this.origin) / 1000;
    this.tt = this.tt - 2 * d * this.t + this.n * d * d;
    this.tv = this.tv - d * this.v;
    this.t = this.t - this.n * d;
    for (let k = 0; k < this.count; k += 1) {
      const b = (this.head + k) % CAPACITY;
      const n = this.bn[b] as number;
      const t = this.bt[b] as number;
      this.btt[b] = (this.btt[b] as number) - 2 * d * t + n * d * d;
      this.btv[b] = (this.btv[b] as number) - d * (this.bv[b] as number);
      this.bt[b] = t - n * d;
    }
    this.origin = to;
  }
}
