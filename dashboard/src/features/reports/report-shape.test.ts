import type { KpiWindow } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { reportPeriods } from '../../../../hub/src/reports/reports.service.js';
import { reportFormatFor } from './report-format.js';
import {
  backlogStacks,
  calendarMonth,
  change,
  failureStacks,
  monthBoundary,
  monthOf,
  monthStart,
  mtbfLines,
  mttrLines,
  onTimeLines,
  parsePreset,
  presetRanges,
  reportZone,
  sortTechnicians,
  technicianRows,
} from './report-shape.js';
import { csvUrl, exportAllUrl } from './reports-api.js';

const HOUR = 3_600_000;
const onTime = (on_time: number, late: number) => ({
  on_time,
  late,
  pending: 0,
  no_due_time: 0,
  cancelled: 0,
  rate: on_time + late === 0 ? null : on_time / (on_time + late),
});
const noOnTime = () => ({
  '1': onTime(0, 0),
  '2': onTime(0, 0),
  '3': onTime(0, 0),
  '4': onTime(0, 0),
  all: onTime(0, 0),
});

function window(label: string, over: Partial<KpiWindow> = {}): KpiWindow {
  return {
    start: 0,
    end: 1,
    label,
    orders: { created: 0, completed: 0, cancelled: 0 },
    mtta: { mean_ms: null, count: 0 },
    mttr: { mean_ms: null, count: 0, from_dispatch: { mean_ms: null, count: 0 } },
    on_time: { response: noOnTime(), completion: noOnTime() },
    backlog: {
      at: 1,
      open: 0,
      overdue: 0,
      deferred: 0,
      by_age: { under_1d: 0, '1d_3d': 0, '3d_7d': 0, '7d_30d': 0, over_30d: 0 },
    },
    first_time_fix: { completed: 0, first_time: 0, rate: null },
    pm_compliance: { due: 0, on_time: 0, late: 0, pending: 0, cancelled: 0, rate: null },
    ratings: { count: 0, mean: null, low: 0 },
    technicians: [],
    failures: { total: 0, by_device_type: {}, by_site: {}, by_cause: {} },
    mtbf: { by_device_type: [], by_device: [] },
    ...over,
  };
}

describe('range presets', () => {
  // Sunday 6 December 2026, 10:00 UTC.
  const now = Date.UTC(2026, 11, 6, 10);

  it('reads the preset from the URL, the default for anything else', () => {
    expect(parsePreset('6m')).toBe('6m');
    expect(parsePreset('ytd')).toBe('ytd');
    expect(parsePreset('2y')).toBe('12m');
    expect(parsePreset(null)).toBe('12m');
  });

  it('last 3 months: October to now, against July to September', () => {
    const r = presetRanges('3m', now, 'UTC', 'test-estate');
    expect(r.months).toBe(3);
    expect(r.current).toEqual({ from: Date.UTC(2026, 9, 1, 12), site: 'test-estate', tz: 'UTC' });
    expect(r.previous).toEqual({
      from: Date.UTC(2026, 6, 1, 12),
      to: Date.UTC(2026, 9, 1) - 14 * HOUR,
      site: 'test-estate',
      tz: 'UTC',
    });
  });

  it('last 12 months reach back over the year; this year compares with the same months last year', () => {
    const tz = 'Asia/Shanghai';
    expect(presetRanges('12m', now, tz).current).toEqual({ from: Date.UTC(2026, 0, 1, 12), tz });
    expect(presetRanges('12m', now, tz).previous).toEqual({
      from: Date.UTC(2025, 0, 1, 12),
      to: Date.UTC(2025, 11, 31, 10),
      tz,
    });
    const ytd = presetRanges('ytd', Date.UTC(2026, 2, 10), tz);
    expect(ytd.months).toBe(3);
    expect(ytd.current).toEqual({ from: Date.UTC(2026, 0, 1, 12), tz });
    expect(ytd.previous).toEqual({ from: Date.UTC(2025, 0, 1, 12), to: Date.UTC(2025, 2, 31, 10), tz });
    // In the first hours of the year `from` stays before now.
    expect(presetRanges('ytd', Date.UTC(2026, 0, 1, 3), 'UTC').current.from).toBe(
      Date.UTC(2026, 0, 1, 3) - 1,
    );
  });

  it('counts months in the report’s zone: 20:00 UTC on 30 November is December in Shanghai', () => {
    const late = Date.UTC(2026, 10, 30, 20);
    expect(calendarMonth(late, 'UTC')).toEqual({ year: 2026, month: 10 });
    expect(calendarMonth(late, 'Asia/Shanghai')).toEqual({ year: 2026, month: 11 });
    expect(presetRanges('3m', late, 'Asia/Shanghai').current.from).toBe(Date.UTC(2026, 9, 1, 12));
    expect(calendarMonth(Date.UTC(2026, 11, 31, 18), 'Asia/Shanghai')).toEqual({ year: 2027, month: 0 });
  });

  it('takes the chosen site’s zone, else the sites’ common one, else the browser’s', () => {
    const sites = [
      { id: 'a', timezone: 'Asia/Shanghai' },
      { id: 'b', timezone: 'Asia/Shanghai' },
    ];
    expect(reportZone(sites, undefined, 'Europe/Paris')).toBe('Asia/Shanghai');
    expect(reportZone([...sites, { id: 'c', timezone: 'Europe/London' }], undefined, 'Europe/Paris')).toBe(
      'Europe/Paris',
    );
    expect(reportZone([...sites, { id: 'c', timezone: 'Europe/London' }], 'c', 'Europe/Paris')).toBe(
      'Europe/London',
    );
    expect(reportZone([], undefined, 'Europe/Paris')).toBe('Europe/Paris');
  });

  it.each(['Pacific/Kiritimati', 'Asia/Shanghai', 'Europe/London', 'America/Los_Angeles', 'Etc/GMT+12'])(
    'the hub turns the range into exactly the months meant, in %s',
    (zone) => {
      const previous = presetRanges('3m', now, zone).previous;
      const labels = reportPeriods(previous.from, previous.to as number, 'month', zone).map((p) => p.label);
      expect(labels).toEqual(['2026-07', '2026-08', '2026-09']);
      const current = reportPeriods(monthStart(2026, 9), now, 'month', zone).map((p) => p.label);
      expect(current).toEqual(['2026-10', '2026-11', '2026-12']);
      expect(
        reportPeriods(monthStart(2026, 0), monthBoundary(2026, 1), 'month', zone).map((p) => p.label),
      ).toEqual(['2026-01']);
    },
  );
});

describe('CSV links', () => {
  it('ask for the same months and site as the page, one table each, and the zip of all', () => {
    const query = { from: 1_000, site: 'test-estate', tz: 'Asia/Shanghai' };
    const url = new URL(csvUrl('on-time', query), 'http://hub');
    expect(url.pathname).toBe('/api/reports/on-time');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      period: 'month',
      from: '1000',
      site: 'test-estate',
      tz: 'Asia/Shanghai',
      format: 'csv',
    });
    const zip = new URL(exportAllUrl({ from: 5, to: 9 }), 'http://hub');
    expect(zip.pathname).toBe('/api/reports/export');
    expect(Object.fromEntries(zip.searchParams)).toEqual({ period: 'month', from: '5', to: '9' });
  });
});

describe('chart series', () => {
  const periods = [
    window('2026-10', {
      failures: {
        total: 3,
        by_device_type: { pump: 2, elevator: 1 },
        by_site: { a: 3 },
        by_cause: { natural_wear: 1, unclassified: 2 },
      },
      mttr: { mean_ms: 90 * 60_000, count: 2, from_dispatch: { mean_ms: 30 * 60_000, count: 2 } },
      mtbf: {
        by_device_type: [{ key: 'pump', device_type: 'pump', intervals: 1, mean_ms: 240 * HOUR }],
        by_device: [],
      },
    }),
    window('2026-11', {
      failures: {
        total: 4,
        by_device_type: { elevator: 4 },
        by_site: { a: 1, b: 3 },
        by_cause: { misuse: 4 },
      },
      on_time: {
        response: noOnTime(),
        completion: { ...noOnTime(), '2': onTime(3, 1), all: onTime(3, 1) },
      },
      mtbf: {
        by_device_type: [{ key: 'elevator', device_type: 'elevator', intervals: 2, mean_ms: 36 * HOUR }],
        by_device: [],
      },
    }),
  ];

  it('stacks failures by key, the largest key first, with each month’s total and the scale', () => {
    const s = failureStacks(periods, 'device_type');
    // elevator 1 + 4 = 5 before pump 2.
    expect(s.keys).toEqual(['elevator', 'pump']);
    expect(s.rows).toEqual([
      { label: '2026-10', values: { pump: 2, elevator: 1 }, total: 3 },
      { label: '2026-11', values: { elevator: 4 }, total: 4 },
    ]);
    expect(s.max).toBe(4);
    expect(failureStacks(periods, 'site').keys).toEqual(['a', 'b']);
    expect(failureStacks(periods, 'cause').keys).toEqual(['misuse', 'unclassified', 'natural_wear']);
  });

  it('keeps the backlog’s age bands in their own order', () => {
    const p = [
      window('2026-11', {
        backlog: {
          at: 1,
          open: 3,
          overdue: 1,
          deferred: 0,
          by_age: { under_1d: 0, '1d_3d': 0, '3d_7d': 1, '7d_30d': 0, over_30d: 2 },
        },
      }),
    ];
    const s = backlogStacks(p);
    expect(s.keys).toEqual(['under_1d', '1d_3d', '3d_7d', '7d_30d', 'over_30d']);
    expect(s.rows[0]?.total).toBe(3);
  });

  it('draws MTBF per device type and MTTR in hours, with gaps where nothing was measured', () => {
    expect(mtbfLines(periods)).toEqual({
      labels: ['2026-10', '2026-11'],
      series: [
        { key: 'elevator', values: [null, 36] },
        { key: 'pump', values: [240, null] },
      ],
    });
    expect(mttrLines(periods).series).toEqual([
      { key: 'mttr', values: [1.5, null] },
      { key: 'from_dispatch', values: [0.5, null] },
    ]);
  });

  it('gives the on-time rate per priority and limit, null where nothing was judged', () => {
    const lines = onTimeLines(periods, 'completion');
    expect(lines.series.map((s) => s.key)).toEqual(['1', '2', '3', '4', 'all']);
    expect(lines.series[1]?.values).toEqual([null, 0.75]);
    expect(onTimeLines(periods, 'response').series[1]?.values).toEqual([null, null]);
  });

  it('names the hub’s month labels and nothing else', () => {
    expect(monthOf('2026-03')).toBe(Date.UTC(2026, 2, 1));
    expect(monthOf('total')).toBeNull();
  });
});

describe('changes against the previous period', () => {
  it('says which way and whether that is good', () => {
    expect(change(0.9, 0.75, 'up')).toEqual({ direction: 'up', delta: 0.9 - 0.75, verdict: 'better' });
    expect(change(2 * HOUR, 3 * HOUR, 'down')).toEqual({
      direction: 'down',
      delta: -HOUR,
      verdict: 'better',
    });
    expect(change(4 * HOUR, 3 * HOUR, 'down')).toMatchObject({ direction: 'up', verdict: 'worse' });
    expect(change(12, 7, null)).toEqual({ direction: 'up', delta: 5, verdict: null });
    expect(change(0.5, 0.5, 'up')).toEqual({ direction: 'same', delta: 0, verdict: null });
    expect(change(null, 0.5, 'up')).toEqual({ direction: 'none', delta: null, verdict: null });
    expect(change(0.5, null, 'up').direction).toBe('none');
  });
});

describe('technicians table', () => {
  const total = window('total', {
    technicians: [
      {
        username: 'tom',
        display_name: 'Tom Wang',
        completed: 3,
        assisted: 0,
        ratings: 2,
        mean_rating: 4.5,
        low_ratings: 0,
      },
      {
        username: 'ann',
        display_name: 'Zoe Zhao',
        completed: 1,
        assisted: 2,
        ratings: 0,
        mean_rating: null,
        low_ratings: 0,
      },
    ],
  });
  const rows = technicianRows(total, [
    { username: 'tom', display_name: 'Tom Wang', open: 1 },
    // Deleted since: the hub names them by their user name.
    { username: 'zed', display_name: 'zed', open: 4 },
  ]);

  it('joins the range’s figures with the load now', () => {
    expect(rows).toEqual([
      {
        username: 'tom',
        display_name: 'Tom Wang',
        completed: 3,
        assisted: 0,
        ratings: 2,
        mean_rating: 4.5,
        low_ratings: 0,
        open_now: 1,
      },
      {
        username: 'ann',
        display_name: 'Zoe Zhao',
        completed: 1,
        assisted: 2,
        ratings: 0,
        mean_rating: null,
        low_ratings: 0,
        open_now: 0,
      },
      {
        username: 'zed',
        display_name: 'zed',
        completed: 0,
        assisted: 0,
        ratings: 0,
        mean_rating: null,
        low_ratings: 0,
        open_now: 4,
      },
    ]);
  });

  it('sorts by any column either way, missing ratings last, ties by name', () => {
    const names = (column: Parameters<typeof sortTechnicians>[1], dir: 'ascending' | 'descending') =>
      sortTechnicians(rows, column, dir).map((r) => r.username);
    expect(names('completed', 'descending')).toEqual(['tom', 'ann', 'zed']);
    expect(names('open_now', 'descending')).toEqual(['zed', 'tom', 'ann']);
    expect(names('open_now', 'ascending')).toEqual(['ann', 'tom', 'zed']);
    expect(names('mean_rating', 'ascending')).toEqual(['tom', 'ann', 'zed']);
    // By the name people know them by, not the user name: ann is Zoe Zhao.
    expect(names('display_name', 'ascending')).toEqual(['tom', 'zed', 'ann']);
    expect(names('display_name', 'descending')).toEqual(['ann', 'zed', 'tom']);
    expect(names('ratings', 'ascending')).toEqual(['ann', 'zed', 'tom']);
  });
});

describe('report formats', () => {
  it('writes durations in hours and minutes, rates as percentages, months by name', () => {
    const en = reportFormatFor('en');
    expect(en.duration(31 * HOUR + 46 * 60_000)).toBe('31 hr 46 min');
    expect(en.duration(45 * 60_000)).toBe('45 min');
    expect(en.duration(2 * HOUR + 59.8 * 60_000)).toBe('3 hr');
    expect(en.duration(250.4 * HOUR)).toBe('250 hr');
    expect(en.duration(null)).toBe('—');
    expect(en.percent(0.875)).toBe('87.5%');
    expect(en.month('2026-03')).toBe('Mar 2026');
    const zh = reportFormatFor('zh-CN');
    expect(zh.month('2026-03')).toBe('2026年3月');
    expect(zh.duration(31 * HOUR + 46 * 60_000)).toMatch(/^31\s?小时 46\s?分钟$/);
  });
});
