/**
 * Shared contract of the streaming detectors. A detector sees one reading (or one row of a
 * device's points) at a time, in time order, and decides from the past and the present only.
 * Detectors do no I/O and never read a clock: time comes from the readings' own timestamps.
 */

/** What a detector says about the reading it has just seen. */
export interface Verdict {
  /** True while the detector's alarm is raised (after hysteresis and hold times). */
  readonly active: boolean;
  /** Detector-specific severity, 0 when normal; comparable within one detector only. */
  readonly score: number;
}

/** A detector of one numeric point. `ts` is epoch ms, non-decreasing. */
export interface PointDetector<V extends Verdict = Verdict> {
  update(ts: number, value: number): V;
}

/** A detector of one device: all its points at once, in a fixed column order. */
export interface RowDetector<V extends Verdict = Verdict> {
  update(ts: number, values: readonly number[]): V;
}

export const NORMAL: Verdict = Object.freeze({ active: false, score: 0 });
