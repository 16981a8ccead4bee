import { describe, expect, it } from 'vitest';
import {
  chartColumns,
  directionOf,
  groupByOf,
  parseFilters,
  presetDays,
  requestOf,
  scopeOptions,
} from './energy-shape.js';

// Wednesday 2026-03-18 (local), the page's "today".
const today = new Date(2026, 2, 18, 10, 15);

describe('energy page filters', () => {
  it.each([
    ['today', '2026-03-18', '2026-03-19'],
    ['yesterday', '2026-03-17', '2026-03-18'],
    ['7d', '2026-03-12', '2026-03-19'],
    ['30d', '2026-02-17', '2026-03-19'],
    ['this_month', '2026-03-01', '2026-04-01'],
    ['last_month', '2026-02-01', '2026-03-01'],
    ['12m', '2025-04-01', '2026-04-01'],
  ] as const)('turns %s into calendar days, the end exclusive', (preset, from, to) => {
    expect(presetDays(preset, today)).toEqual({ from, to });
  });

  it('includes the last chosen day of a custom range and never runs backwards', () => {
    expect(presetDays('custom', today, { from: '2026-02-27', to: '2026-02-28' })).toEqual({
      from: '2026-02-27',
      to: '2026-03-01',
    });
    expect(presetDays('custom', today, { from: '2026-03-10', to: '2026-03-01' })).toEqual({
      from: '2026-03-10',
      to: '2026-03-11',
    });
    expect(presetDays('custom', today, { from: 'junk' }).from).toBe('2026-03-12');
  });

  it('reads the URL with defaults for anything unknown', () => {
    expect(parseFilters(new URLSearchParams('utility=steam&range=today'))).toMatchObject({
      utility: 'electricity',
      preset: 'today',
      interval: 'hour',
    });
    expect(parseFilters(new URLSearchParams('range=12m&interval=week')).interval).toBe('week');
  });

  it('groups one level finer than the scope', () => {
    expect(groupByOf({ site: null, building: null, meter: null })).toBe('site');
    expect(groupByOf({ site: 's', building: null, meter: null })).toBe('building');
    expect(groupByOf({ site: 's', building: 'b', meter: null })).toBe('meter');
    const filters = parseFilters(new URLSearchParams('range=7d&building=b1'));
    // A building without its site is no scope.
    expect(requestOf(filters, today)).toMatchObject({ group_by: 'meter', building: undefined });
  });

  it('offers the meters of the utility in the chosen building, rooms included', () => {
    const assets = {
      sites: [
        {
          id: 'est',
          name: 'Estate',
          buildings: [
            { id: 't1', name: 'Tower 1', devices: ['m1'], rooms: [{ id: 'r', devices: ['w1', 'pump'] }] },
            { id: 't2', devices: ['m2'], rooms: [] },
          ],
        },
      ],
    };
    const device = (id: string, type: string) => ({ id, type, site: 'est' }) as never;
    const devices = [
      device('m1', 'power_meter'),
      device('m2', 'power_meter'),
      device('w1', 'water_meter'),
      device('pump', 'pump'),
    ];
    const options = scopeOptions(assets, devices, 'electricity', 'est', 't1');
    expect(options.buildings).toEqual([
      { id: 't1', name: 'Tower 1' },
      { id: 't2', name: 't2' },
    ]);
    expect(options.meters.map((m) => m.id)).toEqual(['m1']);
    expect(scopeOptions(assets, devices, 'water', 'est', 't1').meters.map((m) => m.id)).toEqual(['w1']);
  });

  it('names the direction of a change, and "new" when there was nothing before', () => {
    expect(directionOf({ value: 10, change: 2, change_pct: 25 })).toBe('up');
    expect(directionOf({ value: 6, change: -2, change_pct: -25 })).toBe('down');
    expect(directionOf({ value: 8, change: 0, change_pct: 0 })).toBe('same');
    expect(directionOf({ value: 8, change: 8, change_pct: null })).toBe('new');
  });

  it('lays the series out for uPlot by period index, gaps as null', () => {
    expect(
      chartColumns([
        { start: 3_600_000, value: 2, previous: 1, usual: { median: 1.5, low: 1, high: 2 } },
        { start: 7_200_000, value: null, previous: 3, usual: null },
      ]),
    ).toEqual([
      [0, 1],
      [2, null],
      [1, 3],
      [1, null],
      [2, null],
      [1.5, null],
    ]);
  });
});
