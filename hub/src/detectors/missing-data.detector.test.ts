import { describe, expect, it } from 'vitest';
import { MissingDataDetector } from './missing-data.detector.js';

describe('MissingDataDetector', () => {
  it.each([
    {
      name: 'regular 1 s readings, 2.5 s silence is not yet a loss',
      arrivals: [0, 1000, 2000, 3000],
      now: 5500,
      lost: false,
    },
    {
      name: 'regular 1 s readings, 3.5 s silence is a loss',
      arrivals: [0, 1000, 2000, 3000],
      now: 6500,
      lost: true,
    },
    { name: 'nothing learned yet: never a loss', arrivals: [0], now: 100_000, lost: false },
    {
      name: 'minimum gap protects fast points',
      arrivals: [0, 10, 20, 30],
      now: 500,
      lost: false,
      minGapMs: 1000,
    },
  ])('$name', ({ arrivals, now, lost, minGapMs }) => {
    const d = new MissingDataDetector({ factor: 3, minGapMs });
    for (const t of arrivals) d.update(t);
    expect(d.check(now).lost).toBe(lost);
  });

  it('a long gap does not teach a longer interval, and the next reading restores the link', () => {
    const d = new MissingDataDetector({ factor: 3 });
    for (const t of [0, 1000, 2000, 3000]) d.update(t);
    expect(d.update(60_000).lost).toBe(false);
    expect(d.intervalMs).toBe(1000);
  });
});
