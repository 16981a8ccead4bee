import { describe, expect, it } from 'vitest';
import { SparkHistory } from './history.js';

describe('SparkHistory', () => {
  it('keeps one sample per step, the window only, and wraps around without growing', () => {
    const history = new SparkHistory(60_000, 10_000);
    for (let s = 0; s <= 300; s += 1) history.add('d', 'p', s * 1000, s);
    const { ts, values } = history.series('d', 'p', 300_000);
    // The last reading of each step; older than the window is gone.
    expect(ts).toEqual([249_000, 259_000, 269_000, 279_000, 289_000, 299_000, 300_000]);
    expect(values).toEqual([249, 259, 269, 279, 289, 299, 300]);
  });

  it('ignores a reading older than the newest and forgets a device', () => {
    const history = new SparkHistory(60_000, 10_000);
    history.add('d', 'p', 50_000, 5);
    history.add('d', 'p', 40_000, 4);
    expect(history.series('d', 'p', 50_000).values).toEqual([5]);
    history.forget('d');
    expect(history.series('d', 'p', 50_000).values).toEqual([]);
  });

  it('merges the store’s history under live samples: one per step, the live one wins its step', () => {
    const history = new SparkHistory(60_000, 10_000);
    history.add('d', 'p', 55_000, 55);
    history.add('d', 'p', 61_000, 61);
    // Bucket means from the store, one of them in the step of the first live reading.
    history.merge('d', 'p', { ts: [0, 10_000, 20_000, 30_000, 40_000, 50_000], values: [0, 1, 2, 3, 4, 5] });
    const { ts, values } = history.series('d', 'p', 61_000);
    expect(ts).toEqual([10_000, 20_000, 30_000, 40_000, 55_000, 61_000]);
    expect(values).toEqual([1, 2, 3, 4, 55, 61]);
    // Live readings go on after it.
    history.add('d', 'p', 72_000, 72);
    expect(history.series('d', 'p', 72_000).values).toEqual([2, 3, 4, 55, 61, 72]);
  });
});
