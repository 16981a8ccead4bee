import type { EnergyInterval } from '@caretaker/protocol';
import { useMemo } from 'react';
import { useFormat } from '../../i18n/format.js';

/**
 * The energy page's Intl formats: amounts, percentages and period labels in the report's time
 * zone (the site's days, not the browser's), one set per language, zone and interval.
 */
export interface EnergyFormat {
  number(value: number): string;
  /** An absolute percentage: the word beside it says which way. */
  percent(pct: number): string;
  /** A period's label: "14:00", "Mar 10", "Mar 2026". */
  period(ms: number): string;
  /** A chart tick, as short as the interval allows. */
  tick(ms: number): string;
  /** A moment, for peaks: "Mar 10, 18:00". */
  moment(ms: number): string;
  /** A calendar day, for the compared range. */
  day(ms: number): string;
}

const cache = new Map<string, EnergyFormat>();

export function energyFormatFor(locale: string, timeZone: string, interval: EnergyInterval): EnergyFormat {
  const key = `${locale}|${timeZone}|${interval}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  const big = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const dates = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat(locale, { timeZone, ...options });
  const hour = dates({ hour: '2-digit', minute: '2-digit' });
  const dayHour = dates({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const day = dates({ month: 'short', day: 'numeric' });
  const longDay = dates({ year: 'numeric', month: 'short', day: 'numeric' });
  const month = dates({ year: 'numeric', month: 'short' });
  const monthShort = dates({ month: 'short' });
  const period = { hour: dayHour, day: longDay, week: longDay, month }[interval];
  const tick = { hour, day, week: day, month: monthShort }[interval];
  const format: EnergyFormat = {
    number: (value) => (Math.abs(value) >= 1000 ? big : number).format(value),
    percent: (pct) => percent.format(Math.abs(pct) / 100),
    period: (ms) => period.format(ms),
    tick: (ms) => tick.format(ms),
    moment: (ms) => dayHour.format(ms),
    day: (ms) => longDay.format(ms),
  };
  cache.set(key, format);
  return format;
}

export function useEnergyFormat(timeZone: string, interval: EnergyInterval): EnergyFormat {
  // The reader's language, in the browser's region when it has one (see formatLocale).
  const { locale } = useFormat();
  return useMemo(() => energyFormatFor(locale, timeZone, interval), [locale, timeZone, interval]);
}
