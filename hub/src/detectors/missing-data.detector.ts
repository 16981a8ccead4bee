/**
 * Missing data: learns the usual reporting interval (median of recent gaps) and flags a
 * communication loss when a gap exceeds `factor` times it. While the link is lost, alarms
 * of the process detectors are frozen (not cleared): "no data" is never "back to normal".
 * It is a clock-free detector: the caller passes the time of each arrival, or of each sweep
 * with `check(now)` (no reading).
 */
export interface MissingDataOptions {
  /** A gap longer than factor × the usual interval is a loss. */
  readonly factor: number;
  /** Never flag gaps shorter than this, ms (protects very fast points). */
  readonly minGapMs?: number;
  /** Gaps used to learn the usual interval. */
  readonly history?: number;
}

export interface MissingVerdict {
  /** True while the point is silent for too long (communication loss). */
  readonly lost: boolean;
  /** Length of the current or just-ended gap, ms. */
  readonly gapMs: number;
  /** The learned reporting interval, ms (NaN until two readings arrived). */
  readonly intervalMs: number;
}

export class MissingDataDetector {
  private last: number | undefined;
  private readonly gaps: number[] = [];

  constructor(private readonly opts: MissingDataOptions) {}

  get intervalMs(): number {
    if (this.gaps.length === 0) return Number.NaN;
    const s = [...this.gaps].sort((a, b) => a - b);
    return s[s.length >> 1] as number;
  }

  /** A reading arrived at `ts`. */
  update(ts: number): MissingVerdict {
    const gap = this.last === undefined ? 0 : ts - this.last;
    const verdict = this.judge(gap);
    if (this.last !== undefined && gap > 0 && !verdict.lost) {
      this.gaps.push(gap);
      if (this.gaps.length > (this.opts.history ?? 32)) this.gaps.shift();
    }
    this.last = ts;
    // The reading that ends a gap restores the link.
    return { ...verdict, lost: false };
  }

  /** No reading; is the point silent for too long at `now`? */
  check(now: number): MissingVerdict {
    return this.judge(this.last === undefined ? 0 : now - this.last);
  }

  private judge(gapMs: number): MissingVerdict {
    const intervalMs = this.intervalMs;
    const limit = Math.max(this.opts.minGapMs ?? 0, this.opts.factor * intervalMs);
    return { lost: Number.isFinite(intervalMs) && gapMs > limit, gapMs, intervalMs };
  }
}
