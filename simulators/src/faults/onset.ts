/**
 * How a fault develops from its start: at once (`step`), linearly (`ramp`), or slowly first and
 * then faster and faster (`accelerating`), the P-F curve of wear: a bearing's vibration creeps
 * for weeks, then climbs in days before it fails.
 */
export const ONSETS = ['step', 'ramp', 'accelerating'] as const;
export type Onset = (typeof ONSETS)[number];

export interface FaultTiming {
  /** Epoch ms at which the fault begins. */
  startMs: number;
  /** Epoch ms at which it ends (cleared, repaired); null while open-ended. */
  endMs: number | null;
  onset: Onset;
  /** Real ms from the start until the fault reaches its full severity (ignored by `step`). */
  onsetMs: number;
  /** Full severity, 0 to 1. */
  severity: number;
}

/** Steepness of the accelerating curve: at half the onset time it has done 12 % of the way. */
const ACCELERATION = 4;

/** Fraction of the way to full severity after the fraction `x` of the onset time. */
export function onsetShape(onset: Onset, x: number): number {
  const t = Math.min(1, Math.max(0, x));
  switch (onset) {
    case 'step':
      return 1;
    case 'ramp':
      return t;
    case 'accelerating':
      return Math.expm1(ACCELERATION * t) / Math.expm1(ACCELERATION);
  }
}

/** How far the fault has developed at `nowMs`: 0 outside [start, end), up to its severity. */
export function faultIntensity(timing: FaultTiming, nowMs: number): number {
  if (nowMs < timing.startMs) return 0;
  if (timing.endMs !== null && nowMs >= timing.endMs) return 0;
  if (timing.onset === 'step' || timing.onsetMs <= 0) return timing.severity;
  return timing.severity * onsetShape(timing.onset, (nowMs - timing.startMs) / timing.onsetMs);
}

/** Whether the fault is in force at `nowMs` (started, not ended), even at intensity 0. */
export function isActive(timing: FaultTiming, nowMs: number): boolean {
  return nowMs >= timing.startMs && (timing.endMs === null || nowMs < timing.endMs);
}
