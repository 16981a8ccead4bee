import type { RowDetector, Verdict } from './detector.js';
import { PcaMonitor } from './pca-monitor.detector.js';

/**
 * The default detection of one device: what the hub runs live and what `caretaker detect`
 * runs offline, so both share one code path. No per-file tuning: only how many leading rows
 * are known normal.
 */
export interface DeviceDetectorOptions {
  /** Leading rows known to be normal operation (0 = learn as it goes). */
  readonly trainRows: number;
}

/** With no labelled training rows, learn from this many before judging anything. */
export const MIN_LEARN_ROWS = 300;

export function createDeviceDetector(opts: DeviceDetectorOptions): RowDetector<Verdict> {
  const trainRows = Math.max(opts.trainRows, opts.trainRows > 0 ? 30 : MIN_LEARN_ROWS);
  return new PcaMonitor({ trainRows });
}
