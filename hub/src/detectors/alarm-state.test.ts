import { describe, expect, it } from 'vitest';
import { AlarmState, NOfM } from './alarm-state.js';

describe('AlarmState', () => {
  // Each step: [ts, raiseCondition, clearCondition, expected active]
  const cases: {
    name: string;
    raiseAfterMs: number;
    clearAfterMs: number;
    steps: [number, boolean, boolean, boolean][];
  }[] = [
    {
      name: 'raises at once and clears at once without hold times',
      raiseAfterMs: 0,
      clearAfterMs: 0,
      steps: [
        [0, false, true, false],
        [1, true, false, true],
        [2, false, true, false],
      ],
    },
    {
      name: 'waits the raise hold time, a gap in the condition restarts it',
      raiseAfterMs: 10,
      clearAfterMs: 0,
      steps: [
        [0, true, false, false],
        [5, false, true, false],
        [6, true, false, false],
        [15, true, false, false],
        [16, true, false, true],
      ],
    },
    {
      name: 'holds through the dead band between clear and raise thresholds',
      raiseAfterMs: 0,
      clearAfterMs: 10,
      steps: [
        [0, true, false, true],
        [5, false, false, true],
        [6, false, true, true],
        [15, false, true, true],
        [16, false, true, false],
      ],
    },
  ];
  it.each(cases)('$name', ({ raiseAfterMs, clearAfterMs, steps }) => {
    const a = new AlarmState({ raiseAfterMs, clearAfterMs });
    expect(steps.map(([ts, r, c]) => a.step(ts, r, c))).toEqual(steps.map((s) => s[3]));
  });
});

describe('NOfM', () => {
  it.each([
    { n: 2, m: 3, input: [1, 0, 0, 1, 1, 0, 0], expected: [0, 0, 0, 0, 1, 1, 0] },
    { n: 1, m: 1, input: [1, 0, 1], expected: [1, 0, 1] },
  ])('$n of $m', ({ n, m, input, expected }) => {
    const d = new NOfM(n, m);
    expect(input.map((x) => (d.step(x === 1) ? 1 : 0))).toEqual(expected);
  });
  it('rejects n > m', () => expect(() => new NOfM(3, 2)).toThrow(RangeError));
});
