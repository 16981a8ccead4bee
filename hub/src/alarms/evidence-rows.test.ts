import { describe, expect, it } from 'vitest';
import { EvidenceRows } from './evidence-rows.js';

describe('EvidenceRows', () => {
  it("keeps each point's readings of the last N reading times, oldest first", () => {
    const rows = new EvidenceRows(3);
    for (let t = 1; t <= 5; t += 1) {
      rows.begin(t * 1000);
      rows.set(0, t);
      if (t % 2 === 1) rows.set(1, 10 * t); // a point that reports every other time
    }
    expect(rows.series(0)).toEqual([
      [3000, 3],
      [4000, 4],
      [5000, 5],
    ]);
    expect(rows.series(1)).toEqual([
      [3000, 30],
      [5000, 50],
    ]);
    expect(rows.series(7)).toEqual([]);
  });

  it('takes new points at any time, keeping what it had', () => {
    const rows = new EvidenceRows(4);
    rows.begin(1000);
    rows.set(0, 1);
    rows.begin(2000);
    rows.set(0, 2);
    rows.set(20, 200); // a slot far beyond the width so far
    rows.begin(3000);
    rows.set(0, 3);
    expect(rows.series(0)).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
    expect(rows.series(20)).toEqual([[2000, 200]]);
  });
});
