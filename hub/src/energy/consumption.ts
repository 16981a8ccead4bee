import type { EnergyPeak, EnergyUsual } from '@caretaker/protocol';
import { DateTime } from 'luxon';
import { median } from 'simple-statistics';
import { counterIncrements } from '../services/energy.js';
import type { AggregateBucket, CounterBucket } from '../storage/time-series-store.js';

/**
 * The arithmetic of the energy pages, free of I/O: hourly consumption from counter buckets,
 * sums per calendar period, the previous range, the usual for an hour and peak demand.
 */

export const HOUR = 3_600_000;
export const WEEK = 7 * 24 * HOUR;
/** Peak demand is the highest mean power over this window (the usual tariff demand interval). */
export const DEMAND_WINDOW = 15 * 60_000;
/** How many earlier weeks the usual for an hour is taken from. */
export const USUAL_WEEKS = 4;

export interface Range {
  start: number;
  end: number;
}

/** A meter's consumption per hour, by the hour's start (hours without readings are absent). */
export type Hourly = Map<number, number>;

/**
 * Hourly consumption from hourly counter buckets that start `fetchStart - HOUR`: the first
 * bucket, when it is that hour, only gives the step into the range.
 */
export function hourlyConsumption(buckets: readonly CounterBucket[], fetchStart: number): Hourly {
  const previous = buckets[0]?.ts === fetchStart - HOUR ? buckets[0] : undefined;
  const inside = previous ? buckets.slice(1) : buckets;
  const increments = counterIncrements(inside, previous);
  return new Map(inside.map((bucket, i) => [bucket.ts, increments[i] ?? 0]));
}

/** The sum of the hours in [start, end). */
export function sumBetween(hourly: Hourly, start: number, end: number): number {
  let sum = 0;
  for (const [ts, value] of hourly) if (ts >= start && ts < end) sum += value;
  return sum;
}

/**
 * The sum of [start, end) where `end` may fall inside an hour: that hour counts in proportion
 * (half an hour of it at 10:30), since only hourly totals are known.
 */
export function sumProrated(hourly: Hourly, start: number, end: number): number {
  let sum = 0;
  for (const [ts, value] of hourly) {
    if (ts < start || ts >= end) continue;
    sum += ts + HOUR <= end ? value : (value * (end - ts)) / HOUR;
  }
  return sum;
}

/** Each period's sum, in one pass over the hours (periods are sorted and do not overlap). */
export function sumPerPeriod(hourly: Hourly, periods: readonly Range[]): number[] {
  const sums = periods.map(() => 0);
  if (periods.length === 0) return sums;
  const first = (periods[0] as Range).start;
  const last = (periods[periods.length - 1] as Range).end;
  const sorted = [...hourly].filter(([ts]) => ts >= first && ts < last).sort((a, b) => a[0] - b[0]);
  let p = 0;
  for (const [ts, value] of sorted) {
    while (p < periods.length && ts >= (periods[p] as Range).end) p++;
    if (p === periods.length) break;
    if (ts >= (periods[p] as Range).start) sums[p] = (sums[p] ?? 0) + value;
  }
  return sums;
}

/**
 * The range just before [start, end) and as long: whole months back when the range is whole
 * months in the zone (this month against last month, however many days each has), whole days
 * when it is whole days (so a day with a daylight-saving change still compares with the day
 * before), otherwise the same number of milliseconds.
 */
export function previousRange(range: Range, zone: string): Range {
  const start = DateTime.fromMillis(range.start, { zone });
  const end = DateTime.fromMillis(range.end, { zone });
  const months = Math.round(end.diff(start, 'months').months);
  if (+start.startOf('month') === range.start && +end.startOf('month') === range.end && months > 0)
    return { start: start.minus({ months }).toMillis(), end: range.start };
  const days = Math.round(end.diff(start, 'days').days);
  if (+start.startOf('day') === range.start && +end.startOf('day') === range.end && days > 0)
    return { start: start.minus({ days }).toMillis(), end: range.start };
  return { start: range.start - (range.end - range.start), end: range.start };
}

/**
 * The usual for each hour: the same local hour of the week in each of the USUAL_WEEKS weeks
 * before (local time, so a daylight-saving change in between keeps "Monday 09:00"), summed over
 * the meters; a week counts when at least one meter has that hour.
 */
export function usualPerHour(
  hourStarts: readonly number[],
  meters: readonly Hourly[],
  zone: string,
): Array<EnergyUsual | null> {
  return hourStarts.map((start) => {
    const local = DateTime.fromMillis(start, { zone });
    const samples: number[] = [];
    for (let k = 1; k <= USUAL_WEEKS; k++) {
      const ts = local.minus({ weeks: k }).toMillis();
      let sum = 0;
      let seen = false;
      for (const hourly of meters) {
        const value = hourly.get(ts);
        if (value !== undefined) {
          sum += value;
          seen = true;
        }
      }
      if (seen) samples.push(sum);
    }
    if (samples.length === 0) return null;
    return {
      median: round(median(samples)),
      low: round(Math.min(...samples)),
      high: round(Math.max(...samples)),
      weeks: samples.length,
    };
  });
}

/**
 * Peak demand of several meters together: their demand-window means added window by window
 * (the buckets of every meter start at the same instant), then the highest.
 */
export function peakDemand(meters: ReadonlyArray<readonly AggregateBucket[]>): EnergyPeak | null {
  const sums = new Map<number, number>();
  for (const buckets of meters) {
    for (const bucket of buckets) sums.set(bucket.ts, (sums.get(bucket.ts) ?? 0) + bucket.mean);
  }
  let peak: EnergyPeak | null = null;
  for (const [at, value] of sums) {
    if (!peak || value > peak.value || (value === peak.value && at < peak.at)) peak = { value, at };
  }
  return peak && { value: round(peak.value), at: peak.at };
}

/** Sums and counters in floating point pick up noise (0.1 + 0.2); twelve digits are plenty. */
export function round(value: number): number {
  return Number(value.toPrecision(12));
}

/** The change from `previous` to `current`, and in percent of `previous` (null when that was 0). */
export function changeOf(current: number, previous: number): { change: number; change_pct: number | null } {
  return {
    change: round(current - previous),
    change_pct: previous === 0 ? null : round(((current - previous) / previous) * 100),
  };
}
