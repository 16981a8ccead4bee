import type { Plan, PlanCalendarSchedule, PlanSchedule, PlanUsageSchedule } from '@caretaker/protocol';

/**
 * A plan's schedule in the reader's words ("Every Monday at 07:30", "The first Monday of every
 * month at 08:00", "Every 2,000 h of Running hours on pump-1"). Pure: the translation and the
 * locale are passed in, so the tests read the real messages in both languages.
 */
export type Translate = (key: string, options?: Record<string, unknown>) => string;

export interface WordsContext {
  t: Translate;
  locale: string;
  number: (value: number) => string;
  /** A point's name in the reader's language. */
  point: (point: string) => string;
}

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
// 1 January 2024 was a Monday: day i of that week is weekday WEEKDAYS[i].
const MONDAY_2024 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

function weekdayName(code: (typeof WEEKDAYS)[number], locale: string): string {
  const i = WEEKDAYS.indexOf(code);
  return new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(MONDAY_2024 + i * DAY);
}

function weekdayList(codes: readonly (typeof WEEKDAYS)[number][], locale: string): string {
  const names = codes.map((c) => weekdayName(c, locale));
  return new Intl.ListFormat(locale, { type: 'conjunction' }).format(names);
}

function timeOfDay(time: string, locale: string): string {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(
    Date.UTC(2024, 0, 1, hour, minute),
  );
}

function startsOf(schedule: PlanCalendarSchedule): Date | null {
  if (!schedule.starts) return null;
  const date = new Date(`${schedule.starts}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function calendarWords(schedule: PlanCalendarSchedule, c: WordsContext): string {
  const { t, locale } = c;
  if (schedule.rrule !== undefined || !schedule.frequency) {
    return t('inspections.schedule.rule', { rule: schedule.rrule ?? '' });
  }
  const starts = startsOf(schedule);
  const n = schedule.interval ?? 1;
  // What rrule takes from the start date when a field is left out (schedule.ts ruleText).
  const startWeekday = starts ? WEEKDAYS[(starts.getUTCDay() + 6) % 7] : undefined;
  const weekdays = schedule.weekdays ?? (startWeekday ? [startWeekday] : []);
  const days = weekdayList(weekdays, locale);
  const nth =
    schedule.nth === undefined
      ? ''
      : t(`inspections.schedule.nth.${schedule.nth}`, { defaultValue: `#${schedule.nth}` });
  const dayOfMonth = schedule.day_of_month ?? starts?.getUTCDate() ?? 1;
  const day =
    dayOfMonth < 0
      ? t('inspections.schedule.lastDay')
      : t('inspections.schedule.dayN', { n: c.number(dayOfMonth) });
  let what: string;
  switch (schedule.frequency) {
    case 'daily':
      what = schedule.weekdays
        ? t('inspections.schedule.dailyOn', { days })
        : n === 1
          ? t('inspections.schedule.daily')
          : t('inspections.schedule.dailyN', { n: c.number(n) });
      break;
    case 'weekly':
      what =
        n === 1
          ? t('inspections.schedule.weekly', { days })
          : t('inspections.schedule.weeklyN', { n: c.number(n), days });
      break;
    case 'monthly':
      if (schedule.nth !== undefined) {
        what =
          n === 1
            ? t('inspections.schedule.monthlyNth', { nth, days })
            : t('inspections.schedule.monthlyNthN', { nth, days, n: c.number(n) });
      } else {
        what =
          n === 1
            ? t('inspections.schedule.monthlyDay', { day })
            : t('inspections.schedule.monthlyDayN', { day, n: c.number(n) });
      }
      break;
    case 'quarterly':
      what =
        schedule.nth !== undefined
          ? t('inspections.schedule.quarterlyNth', { nth, days })
          : t('inspections.schedule.quarterlyDay', { day });
      break;
    case 'yearly': {
      const month = schedule.month ?? (starts ? starts.getUTCMonth() + 1 : 1);
      if (schedule.nth !== undefined) {
        const monthName = new Intl.DateTimeFormat(locale, { month: 'long', timeZone: 'UTC' }).format(
          Date.UTC(2024, month - 1, 1),
        );
        what = t('inspections.schedule.yearlyNth', { nth, days, month: monthName });
      } else {
        const date =
          dayOfMonth < 0
            ? Date.UTC(2024, month, 0)
            : Date.UTC(
                2024,
                month - 1,
                Math.min(dayOfMonth, new Date(Date.UTC(2024, month, 0)).getUTCDate()),
              );
        what = t('inspections.schedule.yearlyDay', {
          date: new Intl.DateTimeFormat(locale, { month: 'long', day: 'numeric', timeZone: 'UTC' }).format(
            date,
          ),
        });
      }
      break;
    }
  }
  return t('inspections.schedule.at', { what, time: timeOfDay(schedule.time, locale) });
}

/** An amount of a usage counter with its unit: "2,000 h". */
export function usageAmount(value: number, unit: string | null | undefined, c: Pick<WordsContext, 'number'>) {
  return unit ? `${c.number(value)} ${unit}` : c.number(value);
}

function usageWords(schedule: PlanUsageSchedule, c: WordsContext): string {
  return c.t('inspections.schedule.usage', {
    every: usageAmount(schedule.every, schedule.unit, c),
    point: c.point(schedule.point),
    device: schedule.device,
  });
}

export function scheduleWords(schedule: PlanSchedule, c: WordsContext): string {
  return schedule.type === 'calendar' ? calendarWords(schedule, c) : usageWords(schedule, c);
}

/** A usage plan's progress towards its next order: "1,230 of 2,000 h". */
export function usageProgress(usage: NonNullable<Plan['usage']>, c: WordsContext): string {
  return c.t('inspections.schedule.progress', {
    used: c.number(Math.min(usage.used_since_last, usage.every)),
    every: usageAmount(usage.every, usage.unit, c),
  });
}
