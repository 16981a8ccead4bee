import { DateTime } from 'luxon';
import type { CounterBucket } from '../storage/time-series-store.js';

export const ENERGY_INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type EnergyInterval = (typeof ENERGY_INTERVALS)[number];

export interface EnergyPeriod {
  start: number;
  end: number;
  value: number;
}

/**
 * How much a cumulative counter (kWh, m³) grew in each bucket. A counter that goes down was
 * reset (meter replaced, register rolled over): it counted from 0 up to its new value, so the
 * growth after a reset is the new value itself. Inside a bucket that holds a reset, the
 * counter rose from `first` to its peak `max`, then from 0 to `last`.
 *
 * `previous` is the bucket before the first one (for the step across the boundary).
 */
export function counterIncrements(buckets: readonly CounterBucket[], previous?: CounterBucket): number[] {
  let lastValue = previous?.last;
  return buckets.map((bucket) => {
    let growth = 0;
    if (lastValue !== undefined)
      growth += bucket.first >= lastValue ? bucket.first - lastValue : bucket.first;
    const resetInside = bucket.min < bucket.first || bucket.last < bucket.first;
    growth += resetInside ? bucket.max - bucket.first + bucket.last : bucket.last - bucket.first;
    lastValue = bucket.last;
    return growth;
  });
}

/** Calendar periods covering [from, to) in a time zone: hours, days, ISO weeks (Monday) or months. */
export function calendarPeriods(
  from: number,
  to: number,
  interval: EnergyInterval,
  zone: string,
): Array<{ start: number; end: number }> {
  const periods: Array<{ start: number; end: number }> = [];
  let cursor = DateTime.fromMillis(from, { zone }).startOf(interval);
  if (!cursor.isValid) throw new RangeError(`tz: unknown time zone ${zone}`);
  while (cursor.toMillis() < to) {
    const next = cursor.plus({ [`${interval}s`]: 1 });
    periods.push({ start: cursor.toMillis(), end: next.toMillis() });
    cursor = next;
  }
  return periods;
}

/**
 * Energy per calendar period from hourly counter buckets: `hourly` covers the periods (buckets
 * start on the hour), `previous` is the hour before them.
 */
export function energyPerPeriod(
  periods: ReadonlyArray<{ start: number; end: number }>,
  hourly: readonly CounterBucket[],
  previous?: CounterBucket,
): EnergyPeriod[] {
  const increments = counterIncrements(hourly, previous);
  return periods.map(({ start, end }) => {
    let value = 0;
    hourly.forEach((bucket, i) => {
      if (bucket.ts >= start && bucket.ts < end) value += increments[i] ?? 0;
    });
    return { start, end, value: Number(value.toPrecision(12)) };
  });
}
