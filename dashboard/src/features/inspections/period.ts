/**
 * Report periods in the plan's site timezone: a month there starts at local midnight of its
 * first day, whatever the reader's own timezone. Intl gives a zone's offset at an instant; the
 * midnight is found from a first guess corrected by that offset (twice, for a DST change).
 */

function offsetAt(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(ms);
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight starting `year-month-day` in `zone` (month 1–12; overflow rolls). */
export function zonedMidnight(year: number, month: number, day: number, zone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  let guess = wall - offsetAt(wall, zone);
  guess = wall - offsetAt(guess, zone);
  return guess;
}

/** The calendar date (year, month 1–12) at `ms` in `zone`. */
export function zonedDate(ms: number, zone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(ms);
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: field('year'), month: field('month'), day: field('day') };
}

export const PERIODS = ['thisMonth', 'lastMonth', 'last3Months', 'thisYear'] as const;
export type PeriodName = (typeof PERIODS)[number];

/** A named period around `now` as [from, to) in `zone`. */
export function periodRange(name: PeriodName, now: number, zone: string): { from: number; to: number } {
  const { year, month } = zonedDate(now, zone);
  const monthStart = (offset: number) => zonedMidnight(year, month + offset, 1, zone);
  switch (name) {
    case 'thisMonth':
      return { from: monthStart(0), to: monthStart(1) };
    case 'lastMonth':
      return { from: monthStart(-1), to: monthStart(0) };
    case 'last3Months':
      return { from: monthStart(-2), to: monthStart(1) };
    case 'thisYear':
      return { from: zonedMidnight(year, 1, 1, zone), to: zonedMidnight(year + 1, 1, 1, zone) };
  }
}

/** The end of the reader's local day at `now` (tasks due before it are due today). */
export function endOfLocalDay(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}
