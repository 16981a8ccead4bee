import { describe, expect, it } from 'vitest';
import type { CounterBucket } from '../storage/time-series-store.js';
import { calendarPeriods, counterIncrements, energyPerPeriod } from './energy.js';

const H = 3_600_000;
const bucket = (ts: number, first: number, last: number, min = first, max = last): CounterBucket => ({
  ts,
  first,
  last,
  min,
  max,
});

describe('counter increments', () => {
  it('adds the growth inside buckets and across their boundaries', () => {
    expect(counterIncrements([bucket(0, 100, 110), bucket(H, 112, 120)])).toEqual([10, 10]);
    expect(counterIncrements([bucket(H, 112, 120)], bucket(0, 100, 110))).toEqual([10]);
  });

  it('counts a reset inside a bucket as growth to the peak, then from zero', () => {
    // 100 → 130, reset, 0 → 5
    expect(counterIncrements([bucket(0, 100, 5, 2, 130)])).toEqual([30 + 5]);
  });

  it('counts a reset at a bucket boundary from zero', () => {
    expect(counterIncrements([bucket(0, 100, 130), bucket(H, 3, 8)])).toEqual([30, 3 + 5]);
  });
});

describe('calendar periods', () => {
  it('splits days at local midnight in the requested time zone', () => {
    const from = Date.UTC(2026, 0, 1, 0); // 08:00 in Shanghai
    const periods = calendarPeriods(from, from + 48 * H, 'day', 'Asia/Shanghai');
    expect(periods[0]?.start).toBe(Date.UTC(2025, 11, 31, 16)); // local midnight of Jan 1
    expect(periods.map((p) => (p.end - p.start) / H)).toEqual([24, 24, 24]);
  });

  it('uses ISO weeks and calendar months', () => {
    const weeks = calendarPeriods(Date.UTC(2026, 10, 25), Date.UTC(2026, 10, 26), 'week', 'UTC');
    expect(new Date(weeks[0]?.start ?? 0).getUTCDay()).toBe(1);
    const months = calendarPeriods(Date.UTC(2026, 1, 10), Date.UTC(2026, 2, 10), 'month', 'UTC');
    expect(months.map((m) => (m.end - m.start) / (24 * H))).toEqual([28, 31]);
  });

  it('rejects an unknown zone, naming the parameter', () => {
    expect(() => calendarPeriods(0, H, 'day', 'Mars/Olympus')).toThrow(/^tz:/);
  });
});

describe('energy per period', () => {
  it('sums hourly growth into the periods that contain the hours', () => {
    const hourly = [bucket(0, 0, 10), bucket(H, 10, 30), bucket(2 * H, 30, 31)];
    const periods = [
      { start: 0, end: 2 * H },
      { start: 2 * H, end: 4 * H },
    ];
    expect(energyPerPeriod(periods, hourly)).toEqual([
      { start: 0, end: 2 * H, value: 30 },
      { start: 2 * H, end: 4 * H, value: 1 },
    ]);
  });
});
