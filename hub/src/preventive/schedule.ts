import { DateTime, IANAZone } from 'luxon';
import rrulePackage from 'rrule';
import { z } from 'zod';

// rrule ships CommonJS for Node: its classes hang off the default export.
const { RRule, Frequency } = rrulePackage;
type RRuleInstance = InstanceType<typeof RRule>;

/**
 * When a plan is due. Calendar schedules are RFC 5545 recurrence rules (the rrule library),
 * written either as a rule (`FREQ=MONTHLY;BYDAY=+1MO`) or in plain fields (`frequency: monthly,
 * nth: 1, weekdays: [MO]`), evaluated in the site's timezone. Usage schedules count a device's
 * counter (running hours, door cycles) across resets.
 */

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => DateTime.fromISO(d, { zone: 'utc' }).isValid, 'is not a calendar date');

export const calendarScheduleSchema = z
  .object({
    type: z.literal('calendar'),
    /** An RFC 5545 RRULE (without DTSTART or TZID: `starts`, `time` and the site give those). */
    rrule: z.string().trim().min(1).max(500).optional(),
    frequency: z.enum(['daily', 'weekly', 'monthly', 'quarterly', 'yearly']).optional(),
    interval: z.number().int().min(1).max(100).optional(),
    weekdays: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
    /** With weekdays: the nth of them in the month (1 the first, -1 the last). */
    nth: z
      .number()
      .int()
      .min(-5)
      .max(5)
      .refine((n) => n !== 0, 'must not be 0')
      .optional(),
    day_of_month: z
      .number()
      .int()
      .min(-31)
      .max(31)
      .refine((n) => n !== 0, 'must not be 0')
      .optional(),
    month: z.number().int().min(1).max(12).optional(),
    /** Local time of day of each occurrence. */
    time: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM')
      .default('08:00'),
    /** The first day the schedule may fall on (local); the plan's creation day when absent. */
    starts: localDate.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((s.rrule === undefined) === (s.frequency === undefined)) {
      issue(s.rrule === undefined ? 'frequency' : 'rrule', 'give either rrule or frequency (not both)');
      return;
    }
    if (s.rrule !== undefined) {
      for (const field of ['interval', 'weekdays', 'nth', 'day_of_month', 'month'] as const) {
        if (s[field] !== undefined) issue(field, 'cannot be combined with rrule (write it in the rule)');
      }
      const problem = ruleProblem(s.rrule);
      if (problem) issue('rrule', problem);
      return;
    }
    const periodic = s.frequency === 'monthly' || s.frequency === 'quarterly' || s.frequency === 'yearly';
    if (s.nth !== undefined && !periodic) issue('nth', 'needs a monthly, quarterly or yearly frequency');
    if (s.nth !== undefined && s.weekdays === undefined) issue('nth', 'needs weekdays (the nth what?)');
    if (s.day_of_month !== undefined && !periodic)
      issue('day_of_month', 'needs a monthly, quarterly or yearly frequency');
    if (s.day_of_month !== undefined && s.nth !== undefined)
      issue('day_of_month', 'cannot be combined with nth');
    if (s.weekdays !== undefined && periodic && s.nth === undefined) {
      issue('weekdays', 'with a monthly, quarterly or yearly frequency needs nth (e.g. 1 for the first)');
    }
    if (s.month !== undefined && s.frequency !== 'yearly') issue('month', 'needs a yearly frequency');
  });

export const usageScheduleSchema = z
  .object({
    type: z.literal('usage'),
    device: z.string().min(1).max(128),
    /** A counter point of the device that only grows (running_hours, door_cycles, start_count). */
    point: z.string().min(1).max(128),
    every: z.number().finite().positive(),
    unit: z.string().min(1).max(32).optional(),
    /** The counter's value at the last service; counting starts from the first value seen if absent. */
    last_service_value: z.number().finite().min(0).optional(),
  })
  .strict();

export const scheduleSchema = z.discriminatedUnion('type', [calendarScheduleSchema, usageScheduleSchema], {
  error: 'must have type calendar or usage',
});
export type CalendarScheduleInput = z.infer<typeof calendarScheduleSchema>;
export type UsageSchedule = z.infer<typeof usageScheduleSchema>;
export type Schedule = z.infer<typeof scheduleSchema>;

const FORBIDDEN_PARTS = /(^|[;\n:])\s*(DTSTART|TZID)\b/i;

/** Why a rule text is not usable, or null. */
function ruleProblem(text: string): string | null {
  if (FORBIDDEN_PARTS.test(text))
    return 'must not contain DTSTART or TZID: use starts, time and the site timezone';
  let options: ReturnType<typeof RRule.parseString>;
  try {
    options = RRule.parseString(text.replace(/^RRULE:/i, ''));
  } catch (err) {
    return `is not a recurrence rule: ${(err as Error).message}`;
  }
  if (options.freq === undefined) return 'needs FREQ';
  // Inspections finer than hourly would flood the board with orders.
  if (options.freq === Frequency.MINUTELY || options.freq === Frequency.SECONDLY) {
    return 'FREQ must be HOURLY or coarser';
  }
  return null;
}

/** The RRULE text a calendar schedule stands for (`starts` gives the defaults: day, month). */
export function ruleText(schedule: CalendarScheduleInput, starts: string): string {
  if (schedule.rrule !== undefined) return schedule.rrule.replace(/^RRULE:/i, '').toUpperCase();
  const first = DateTime.fromISO(starts, { zone: 'utc' });
  const interval = schedule.interval ?? 1;
  const { nth, weekdays } = schedule;
  const day = () =>
    nth !== undefined && weekdays
      ? `BYDAY=${weekdays.map((w) => `${nth > 0 ? '+' : ''}${nth}${w}`).join(',')}`
      : `BYMONTHDAY=${schedule.day_of_month ?? first.day}`;
  switch (schedule.frequency) {
    case 'daily':
      return `FREQ=DAILY;INTERVAL=${interval}${schedule.weekdays ? `;BYDAY=${schedule.weekdays.join(',')}` : ''}`;
    case 'weekly':
      return `FREQ=WEEKLY;INTERVAL=${interval};BYDAY=${(schedule.weekdays ?? [WEEKDAYS[first.weekday - 1]]).join(',')}`;
    case 'monthly':
      return `FREQ=MONTHLY;INTERVAL=${interval};${day()}`;
    case 'quarterly':
      return `FREQ=MONTHLY;INTERVAL=${3 * interval};${day()}`;
    case 'yearly':
      return `FREQ=YEARLY;INTERVAL=${interval};BYMONTH=${schedule.month ?? first.month};${day()}`;
    default:
      throw new Error('a calendar schedule needs rrule or frequency');
  }
}

export function isValidTimezone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * A calendar schedule in one timezone. rrule works on "floating" times: it computes in UTC
 * fields that stand for local wall-clock times (its README's advice for timezones), and luxon
 * turns each local time into the real instant (daylight-saving gaps move forward).
 */
export class CalendarSchedule {
  readonly rrule: string;
  private readonly rule: RRuleInstance;

  constructor(
    schedule: CalendarScheduleInput & { starts: string },
    readonly zone: string = DEFAULT_TIMEZONE,
  ) {
    if (!isValidTimezone(zone)) throw new Error(`timezone: unknown timezone "${zone}"`);
    this.rrule = ruleText(schedule, schedule.starts);
    const [hour, minute] = schedule.time.split(':').map(Number) as [number, number];
    const first = DateTime.fromISO(schedule.starts, { zone: 'utc' });
    const options = RRule.parseString(this.rrule);
    this.rule = new RRule({
      ...options,
      dtstart: new Date(Date.UTC(first.year, first.month - 1, first.day, hour, minute)),
      tzid: null,
    });
  }

  /** The first occurrence after `ms` (at or after it when `inclusive`), or null when none is left. */
  next(ms: number, inclusive = false): number | null {
    const found = this.rule.after(this.toFloating(ms), inclusive);
    return found ? this.fromFloating(found) : null;
  }

  /** Occurrences in [from, to), at most `limit`. */
  between(from: number, to: number, limit = 1000): number[] {
    const out: number[] = [];
    for (let t = this.next(from, true); t !== null && t < to && out.length < limit; t = this.next(t))
      out.push(t);
    return out;
  }

  /** An instant as the site's wall clock, ISO with offset (reports, titles). */
  local(ms: number): string {
    return DateTime.fromMillis(ms, { zone: this.zone }).toISO() ?? new Date(ms).toISOString();
  }

  private toFloating(ms: number): Date {
    const d = DateTime.fromMillis(ms, { zone: this.zone });
    return new Date(Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second, d.millisecond));
  }

  private fromFloating(date: Date): number {
    return DateTime.fromObject(
      {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: date.getUTCHours(),
        minute: date.getUTCMinutes(),
        second: date.getUTCSeconds(),
      },
      { zone: this.zone },
    ).toMillis();
  }
}

/** Today's date (YYYY-MM-DD) at `ms` in `zone`. */
export function localDay(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() ?? new Date(ms).toISOString().slice(0, 10);
}

/** An instant as a wall-clock time in `zone`, ISO with offset. */
export function localTime(ms: number, zone: string): string {
  return (
    DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString()
  );
}

export interface CounterState {
  /** The counter's last value seen, raw; null before the first. */
  lastRaw: number | null;
  /** Usage counted so far, across resets. */
  total: number;
}

/**
 * Folds one counter value into the usage count. A value below the last one means the counter
 * was reset or its controller replaced: counting resumes from the new value (what ran between
 * the last value seen and the reset, at most one sweep, is not counted; a counter that restarts
 * somewhere other than zero is not over-counted).
 */
export function advanceCounter(state: CounterState, raw: number): CounterState & { reset: boolean } {
  if (state.lastRaw === null) return { lastRaw: raw, total: state.total, reset: false };
  if (raw < state.lastRaw) return { lastRaw: raw, total: state.total, reset: true };
  return { lastRaw: raw, total: state.total + (raw - state.lastRaw), reset: false };
}

/** Whether `used` units since the last order reach the plan's interval (float sums drift). */
export function usageDue(used: number, every: number): boolean {
  return used >= every * (1 - 1e-9);
}
