import { describe, expect, it } from 'vitest';
import type { PointDetector } from './detector.js';
import { EwmaBaselineDetector } from './ewma-baseline.detector.js';
import { MadBaselineDetector } from './mad-baseline.detector.js';
import { RateOfChangeDetector } from './rate-of-change.detector.js';
import { SpikeDetector } from './spike.detector.js';
import { StuckDetector } from './stuck.detector.js';
import { ThresholdDetector } from './threshold.detector.js';

/** One reading a second from t = 0; returns the active flags as a 0/1 string. */
function run(d: PointDetector, values: number[], stepMs = 1000): string {
  return values.map((v, i) => (d.update(i * stepMs, v).active ? '1' : '0')).join('');
}

/** A deterministic wiggle so baselines have a spread to learn. */
const wiggle = (n: number, level = 10, amp = 0.1) =>
  Array.from({ length: n }, (_, i) => level + amp * Math.sin(i * 1.7));

interface Case {
  name: string;
  make: () => PointDetector;
  values: number[];
  expected: string;
}

const cases: Case[] = [
  {
    name: 'threshold high: hysteresis keeps the alarm in the dead band',
    make: () => new ThresholdDetector({ direction: 'high', raise: 10, clear: 8 }),
    values: [5, 11, 9, 9, 7, 9],
    expected: '011100',
  },
  {
    name: 'threshold high: raise hold time of 2 s ignores a 1 s excursion',
    make: () => new ThresholdDetector({ direction: 'high', raise: 10, clear: 8, raiseAfterMs: 2000 }),
    values: [11, 5, 11, 11, 11, 11, 5],
    expected: '0000110',
  },
  {
    name: 'threshold low with clear hold time',
    make: () => new ThresholdDetector({ direction: 'low', raise: 2, clear: 3, clearAfterMs: 1000 }),
    values: [5, 1, 4, 4, 4],
    expected: '01100',
  },
  {
    name: 'rate of change over a 2 s window',
    make: () => new RateOfChangeDetector({ maxPerSecond: 1, windowMs: 2000 }),
    values: [0, 0.5, 1, 1.5, 5, 5, 5, 5],
    expected: '00001100',
  },
  {
    name: 'stuck for 3 s within tolerance',
    make: () => new StuckDetector({ minDurationMs: 3000, tolerance: 0.01 }),
    values: [1, 2, 2, 2.005, 2, 2, 3],
    expected: '0000110',
  },
  {
    name: 'spike flagged on its own reading only',
    make: () => new SpikeDetector({ window: 9, k: 5 }),
    values: [...wiggle(12), 20, ...wiggle(3)],
    expected: `${'0'.repeat(12)}1000`,
  },
  {
    name: 'EWMA baseline: a lasting shift stays flagged (baseline frozen while raised)',
    make: () => new EwmaBaselineDetector({ timeConstantMs: 60_000, k: 5, warmup: 10 }),
    values: [...wiggle(20), ...wiggle(5, 12)],
    expected: `${'0'.repeat(20)}11111`,
  },
  {
    name: 'EWMA baseline: no verdict during warm-up',
    make: () => new EwmaBaselineDetector({ timeConstantMs: 60_000, k: 5, warmup: 10 }),
    values: [1, 100, 1, 100, 1],
    expected: '00000',
  },
  {
    name: 'median/MAD baseline ignores an outlier in its window and flags a shift',
    make: () => new MadBaselineDetector({ window: 11, k: 6 }),
    values: [...wiggle(11), 10, 13, 13, 10],
    expected: `${'0'.repeat(11)}0110`,
  },
];

describe('point detectors', () => {
  it.each(cases)('$name', ({ make, values, expected }) => {
    expect(run(make(), values)).toBe(expected);
  });

  it('threshold rejects a clear limit beyond the raise limit', () => {
    expect(() => new ThresholdDetector({ direction: 'high', raise: 5, clear: 6 })).toThrow(RangeError);
  });
});
