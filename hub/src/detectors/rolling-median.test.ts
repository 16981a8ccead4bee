import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { RollingMedian } from './rolling-median.js';

describe('RollingMedian', () => {
  it.each([1, 2, 5, 8])('matches simple-statistics over a window of %i', (w) => {
    const r = new RollingMedian(w);
    const xs = Array.from({ length: 40 }, (_, i) => Math.round(Math.sin(i * 2.3) * 100) / 10);
    xs.forEach((x, i) => {
      r.push(x);
      const win = xs.slice(Math.max(0, i + 1 - w), i + 1);
      expect(r.median()).toBeCloseTo(median(win), 12);
      expect(r.mad()).toBeCloseTo(medianAbsoluteDeviation(win), 12);
    });
  });
});
