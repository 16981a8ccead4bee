import { describe, expect, it } from 'vitest';
import { EvidenceRows } from './evidence-rows.js';

describe('EvidenceRows', () => {
  it("keeps every point's value at the last N reading times, oldest first", () => {
    const rows = new EvidenceRows(3);
    const values: number[] = [Number.NaN, Number.NaN];
    for (let t = 1; t <= 5; t += 1) {
      values[0] = t;
      if (t >= 4) values[1] = 10 * t; // a point first seen at the fourth time
      rows.record(t * 1000, values);
    }
    expect(rows.series(0)).toEqual([
      [3000, 3],
      [4000, 4],
      [5000, 5],
    ]);
    // Never seen before the fourth time: no value then.
    expect(rows.series(1)).toEqual([
      [4000, 40],
      [5000, 50],
    ]);
    expect(rows.series(7)).toEqual([]);
  });

  it('takes new points at any time, keeping what it had', () => {
    const rows = new EvidenceRows(4);
    rows.record(1000, [1]);
    const wide = Array.from({ length: 21 }, () => Number.NaN);
    wide[0] = 2;
    wide[20] = 200; // a slot far beyond the width so far
    rows.record(2000, wide);
    rows.record(3000, [3]); // fewer slots than the width: the rest has no value
    expect(rows.series(0)).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
    expect(rows.series(20)).toEqual([[2000, 200]]);
  });
});
