import { describe, expect, it } from 'vitest';
import { type LineFit, WindowedRegression } from './windowed-regression.js';

/** Least squares over the points inside [ts − window, ts], directly. */
function direct(points: Array<[number, number]>) {
  const n = points.length;
  const mt = points.reduce((s, [t]) => s + t, 0) / n;
  const mv = points.reduce((s, [, v]) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [t, v] of points) {
    sxy += (t - mt) * (v - mv);
    sxx += (t - mt) ** 2;
  }
  return sxy / sxx;
}

describe('WindowedRegression', () => {
  it('fits the line of the window (within one bucket), across many origin moves', () => {
    const windowMs = 640_000; // buckets of 10 s
    const r = new WindowedRegression(windowMs);
    const fit: LineFit = { slope: 0, level: 0, n: 0 };
    const points: Array<[number, number]> = [];
    const t0 = Date.UTC(2026, 0, 5);
    // Three hours at 1 reading / 2 s: a slope that changes every hour, with a little wobble.
    for (let s = 0; s < 3 * 3600; s += 2) {
      const ts = t0 + s * 1000;
      const value = 50 + (s < 3600 ? 0.01 : s < 7200 ? -0.02 : 0.005) * s + Math.sin(s / 7);
      r.add(ts, value);
      points.push([s, value]);
    }
    const ts = t0 + (3 * 3600 - 2) * 1000;
    expect(r.fit(ts, 10, fit)).toBe(true);
    // The buckets hold between the window and the window plus one bucket of readings.
    const from = 3 * 3600 - 2 - windowMs / 1000;
    const inside = points.filter(([s]) => s > from - 10);
    expect(fit.n).toBeGreaterThanOrEqual(points.filter(([s]) => s >= from).length);
    expect(fit.n).toBeLessThanOrEqual(inside.length);
    expect(fit.slope).toBeCloseTo(direct(points.slice(-fit.n)), 9);
    expect(fit.slope).toBeCloseTo(0.005, 2);
  });

  it('needs min points and a spread of times', () => {
    const r = new WindowedRegression(60_000);
    const fit: LineFit = { slope: 0, level: 0, n: 0 };
    r.add(1000, 1);
    r.add(1000, 2);
    expect(r.fit(1000, 2, fit)).toBe(false); // one instant: no slope
    r.add(2000, 3);
    expect(r.fit(2000, 4, fit)).toBe(false);
    expect(r.fit(2000, 3, fit)).toBe(true);
    expect(fit.slope).toBeCloseTo(1.5, 12);
  });
});
