import { describe, expect, it } from 'vitest';
import { TrendDetector } from './trend.detector.js';

describe('TrendDetector', () => {
  it.each([
    // A bearing heating 0.01 °C/s from 60 °C toward an 80 °C limit: 20 °C left at t=0.
    {
      name: 'rising line, ordinary fit',
      robust: false,
      slope: 0.01,
      limit: 80,
      horizonMs: 3_600_000,
      active: true,
    },
    {
      name: 'rising line, Theil-Sen fit',
      robust: true,
      slope: 0.01,
      limit: 80,
      horizonMs: 3_600_000,
      active: true,
    },
    {
      name: 'too far away for the horizon',
      robust: false,
      slope: 0.01,
      limit: 80,
      horizonMs: 60_000,
      active: false,
    },
    {
      name: 'heading away from the limit',
      robust: false,
      slope: -0.01,
      limit: 80,
      horizonMs: 3_600_000,
      active: false,
    },
  ])('$name', ({ robust, slope, limit, horizonMs, active }) => {
    const d = new TrendDetector({
      limit,
      direction: 'rising',
      windowMs: 120_000,
      horizonMs,
      minPoints: 10,
      robust,
    });
    let v = d.update(0, 60);
    for (let i = 1; i <= 100; i += 1) v = d.update(i * 1000, 60 + slope * i + (i % 7 === 0 ? 0.05 : 0));
    expect(v.active).toBe(active);
    if (slope > 0) {
      // At t=100 s the level is 61: 19 °C left at 0.01 °C/s = 1900 s.
      expect(v.timeToLimitMs / 1000).toBeGreaterThan(1800);
      expect(v.timeToLimitMs / 1000).toBeLessThan(2000);
    } else expect(v.timeToLimitMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('is active at once when the reading is beyond the limit', () => {
    const d = new TrendDetector({
      limit: 10,
      direction: 'falling',
      windowMs: 10_000,
      horizonMs: 1000,
      minPoints: 3,
    });
    expect(d.update(0, 9).timeToLimitMs).toBe(0);
  });
});
