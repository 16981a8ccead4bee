import type { Reading } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import type { Acquisition } from '../config/resolved-config.js';
import { ReportFilter } from './report-filter.js';

const options = (extra: Partial<Acquisition> = {}): Acquisition => ({
  poll_interval_ms: 100,
  report_on_change: true,
  deadband: 0,
  heartbeat_ms: 0,
  ...extra,
});

const r = (value: number | boolean | null, ts: number, quality: Reading['quality'] = 'good'): Reading =>
  value === null
    ? { point: 'p', value, ts, quality: 'bad', reason: 'timeout' }
    : { point: 'p', value, ts, quality };

/** Feeds readings one by one and returns the timestamps of those that passed. */
function passed(acq: Acquisition, readings: Reading[]): number[] {
  const filter = new ReportFilter(new Map([['p', acq]]));
  return readings.flatMap((reading) => filter.apply([reading]).map((out) => out.ts));
}

describe('ReportFilter', () => {
  it.each<[string, Acquisition, Reading[], number[]]>([
    [
      'without report_on_change everything passes',
      options({ report_on_change: false }),
      [r(1, 1), r(1, 2)],
      [1, 2],
    ],
    ['the first reading always passes, repeats do not', options(), [r(1, 1), r(1, 2), r(1, 3)], [1]],
    ['any change passes with deadband 0', options(), [r(1, 1), r(1.001, 2), r(1.001, 3)], [1, 2]],
    [
      'changes within the deadband are held back until they add up',
      options({ deadband: 0.5 }),
      [r(10, 1), r(10.3, 2), r(10.5, 3), r(10.6, 4), r(10.2, 5), r(9.4, 6)],
      [1, 4, 6],
    ],
    [
      'a boolean passes when it flips',
      options({ deadband: 5 }),
      [r(true, 1), r(true, 2), r(false, 3)],
      [1, 3],
    ],
    [
      'a change of quality passes, repeated bad readings do not',
      options({ deadband: 5 }),
      [r(1, 1), r(null, 2), r(null, 3), r(1, 4), r(1, 5, 'uncertain')],
      [1, 2, 4, 5],
    ],
    [
      'the heartbeat sends an unchanged value, with the time it was read',
      options({ heartbeat_ms: 1000 }),
      [r(1, 0), r(1, 500), r(1, 999), r(1, 1000), r(1, 1500), r(1, 2100)],
      [0, 1000, 2100],
    ],
  ])('%s', (_name, acq, readings, expected) => {
    expect(passed(acq, readings)).toEqual(expected);
  });

  it('keeps points apart and counts what it held back', () => {
    const filter = new ReportFilter(
      new Map([
        ['a', options()],
        ['b', options({ report_on_change: false })],
      ]),
    );
    const batch = (v: number, ts: number): Reading[] => [
      { point: 'a', value: v, ts, quality: 'good' },
      { point: 'b', value: v, ts, quality: 'good' },
    ];
    expect(filter.apply(batch(1, 1)).map((x) => x.point)).toEqual(['a', 'b']);
    expect(filter.apply(batch(1, 2)).map((x) => x.point)).toEqual(['b']);
    expect(filter.suppressed).toBe(1);
    filter.reset();
    expect(filter.apply(batch(1, 3)).map((x) => x.point)).toEqual(['a', 'b']);
  });
});
