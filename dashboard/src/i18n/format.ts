import type { LatestValue } from '@caretaker/protocol';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Numbers, dates and durations in the reader's language (Intl). Formatters are costly to build
 * and the board formats thousands of values a second, so there is one set per language.
 */
export interface Formatters {
  locale: string;
  number(value: number): string;
  dateTime(ms: number): string;
  time(ms: number): string;
  /** A chart axis tick, as precise as the distance between ticks needs. */
  axis(ms: number, stepMs: number): string;
  /** "3 minutes ago", "in 2 hours". */
  relative(ms: number, now: number): string;
  /** A duration, in its largest sensible unit: "12 minutes". */
  duration(ms: number): string;
}

const cache = new Map<string, Formatters>();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function formattersFor(locale: string): Formatters {
  const cached = cache.get(locale);
  if (cached) return cached;
  const small = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  // Large values are mostly counters (kWh, hours): one decimal still shows them growing.
  const big = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  const time = new Intl.DateTimeFormat(locale, { timeStyle: 'medium' });
  const hourMinute = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  const hourMinuteSecond = new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const dayHour = new Intl.DateTimeFormat(locale, {
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  const day = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const units = (unit: 'second' | 'minute' | 'hour' | 'day') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 });
  const seconds = units('second');
  const minutes = units('minute');
  const hours = units('hour');
  const days = units('day');
  const formatters: Formatters = {
    locale,
    number: (value) => (Math.abs(value) >= 10_000 ? big.format(value) : small.format(value)),
    dateTime: (ms) => dateTime.format(ms),
    time: (ms) => time.format(ms),
    axis: (ms, step) =>
      (step < MINUTE ? hourMinuteSecond : step < HOUR ? hourMinute : step < DAY ? dayHour : day).format(ms),
    relative: (ms, now) => {
      const delta = ms - now;
      const abs = Math.abs(delta);
      if (abs < MINUTE) return relative.format(Math.round(delta / 1000), 'second');
      if (abs < HOUR) return relative.format(Math.round(delta / MINUTE), 'minute');
      if (abs < DAY) return relative.format(Math.round(delta / HOUR), 'hour');
      return dateTime.format(ms);
    },
    duration: (ms) => {
      if (ms < MINUTE) return seconds.format(Math.round(ms / 1000));
      if (ms < HOUR) return minutes.format(Math.round(ms / MINUTE));
      if (ms < DAY) return hours.format(Math.round(ms / HOUR));
      return days.format(Math.round(ms / DAY));
    },
  };
  cache.set(locale, formatters);
  return formatters;
}

/**
 * The locale numbers and dates are written in: the browser's own region when it speaks the
 * chosen language in the same script (English chosen, browser en-GB: a 24-hour clock and the day
 * before the month; en-US: 12-hour, month first), else the chosen language itself. A Chinese
 * reader on a zh-TW browser keeps zh-CN: the messages are in simplified characters.
 */
export function formatLocale(language: string, preferred: readonly string[]): string {
  const wanted = safeLocale(language);
  if (!wanted) return language;
  const script = wanted.maximize().script;
  for (const tag of preferred) {
    const candidate = safeLocale(tag);
    if (
      candidate?.language === wanted.language &&
      candidate.maximize().script === script &&
      candidate.region
    ) {
      return candidate.baseName;
    }
  }
  return language;
}

function safeLocale(tag: string): Intl.Locale | null {
  try {
    return new Intl.Locale(tag);
  } catch {
    return null;
  }
}

export function useFormat(): Formatters {
  const { i18n } = useTranslation();
  const locale = formatLocale(i18n.resolvedLanguage ?? 'en', globalThis.navigator?.languages ?? []);
  return useMemo(() => formattersFor(locale), [locale]);
}

/** The text of a latest value; `on`/`off` are passed in so they follow the language. */
export function formatLatest(latest: LatestValue, format: Formatters, on: string, off: string): string {
  const { value } = latest;
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? on : off;
  return format.number(value);
}

/** `outlet_pressure` → `Outlet pressure`, for points without a translation. */
export function humanizePoint(point: string): string {
  const words = point.replaceAll('_', ' ').replace(/\bl([123])\b/g, 'L$1');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
