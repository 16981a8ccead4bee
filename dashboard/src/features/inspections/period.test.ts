import { describe, expect, it } from 'vitest';
import { periodRange, zonedDate, zonedMidnight } from './period.js';

describe('report periods in the site timezone', () => {
  it('midnight in Shanghai is 16:00 UTC the day before', () => {
    expect(zonedMidnight(2026, 12, 1, 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 30, 16));
    expect(zonedMidnight(2026, 1, 1, 'UTC')).toBe(Date.UTC(2026, 0, 1));
  });

  it('across a daylight-saving change (New York, March and November)', () => {
    expect(zonedMidnight(2026, 3, 8, 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5));
    expect(zonedMidnight(2026, 3, 9, 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 4));
    expect(zonedMidnight(2026, 11, 2, 'America/New_York')).toBe(Date.UTC(2026, 10, 2, 5));
  });

  it('the date at an instant is the zone’s, not UTC’s', () => {
    expect(zonedDate(Date.UTC(2026, 11, 31, 17), 'Asia/Shanghai')).toEqual({ year: 2027, month: 1, day: 1 });
  });

  it('months roll over the year', () => {
    const now = Date.UTC(2027, 0, 10, 3);
    const zone = 'Asia/Shanghai';
    expect(periodRange('thisMonth', now, zone)).toEqual({
      from: Date.UTC(2026, 11, 31, 16),
      to: Date.UTC(2027, 0, 31, 16),
    });
    expect(periodRange('lastMonth', now, zone)).toEqual({
      from: Date.UTC(2026, 10, 30, 16),
      to: Date.UTC(2026, 11, 31, 16),
    });
    expect(periodRange('last3Months', now, zone).from).toBe(Date.UTC(2026, 9, 31, 16));
    expect(periodRange('thisYear', now, zone)).toEqual({
      from: Date.UTC(2026, 11, 31, 16),
      to: Date.UTC(2027, 11, 31, 16),
    });
  });
});
