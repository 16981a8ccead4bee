import { useMemo } from 'react';
import { useFormat } from '../../i18n/format.js';
import { monthOf } from './report-shape.js';

/**
 * The reports' own Intl formats (months, rates, hours and minutes, signed changes), one set per
 * language; plain numbers come from i18n/format.ts.
 */
export interface ReportFormat {
  /** '2026-03' → "Mar 2026" / "2026年3月"; anything else as it is ("total"). */
  month(label: string): string;
  /** A short month for an axis: "Mar" / "3月". */
  monthShort(label: string): string;
  /** 0.875 → "87.5%". */
  percent(rate: number | null): string;
  /** Hours and minutes: "31 hr 46 min" / "31小时46分钟"; whole hours from 100 h. */
  duration(ms: number | null): string;
  count(value: number): string;
  /** A change with its sign: "+3", "−12.5". */
  signed(value: number, digits?: number): string;
  rating(value: number | null): string;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const cache = new Map<string, ReportFormat>();

export function reportFormatFor(locale: string): ReportFormat {
  const cached = cache.get(locale);
  if (cached) return cached;
  // The hub's month labels name calendar months already: shown as such, in UTC, never shifted.
  const month = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', timeZone: 'UTC' });
  const monthShort = new Intl.DateTimeFormat(locale, { month: 'short', timeZone: 'UTC' });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const unit = (u: 'hour' | 'minute') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: 0 });
  const hours = unit('hour');
  const minutes = unit('minute');
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const rating = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const signed = (digits: number) =>
    new Intl.NumberFormat(locale, { signDisplay: 'exceptZero', maximumFractionDigits: digits });
  const signedBy = [signed(0), signed(1), signed(2)];
  const byMonth = (f: Intl.DateTimeFormat) => (label: string) => {
    const ms = monthOf(label);
    return ms === null ? label : f.format(ms);
  };
  const format: ReportFormat = {
    month: byMonth(month),
    monthShort: byMonth(monthShort),
    percent: (rate) => (rate === null ? '—' : percent.format(rate)),
    duration: (ms) => {
      if (ms === null) return '—';
      const abs = Math.abs(ms);
      const sign = ms < 0 ? '−' : '';
      if (abs < HOUR) return sign + minutes.format(Math.round(abs / MINUTE));
      const h = Math.floor(abs / HOUR);
      if (h >= 100) return sign + hours.format(Math.round(abs / HOUR));
      const min = Math.round((abs - h * HOUR) / MINUTE);
      // 59.6 minutes round up to the next hour, not to "60 min".
      if (min === 60) return sign + hours.format(h + 1);
      return min === 0 ? sign + hours.format(h) : `${sign}${hours.format(h)} ${minutes.format(min)}`;
    },
    count: (value) => count.format(value),
    signed: (value, digits = 0) =>
      (signedBy[Math.min(2, Math.max(0, digits))] as Intl.NumberFormat).format(value),
    rating: (value) => (value === null ? '—' : rating.format(value)),
  };
  cache.set(locale, format);
  return format;
}

export function useReportFormat(): ReportFormat {
  // The reader's language, in the browser's region when it has one (see formatLocale).
  const { locale } = useFormat();
  return useMemo(() => reportFormatFor(locale), [locale]);
}
