import type { PlanCalendarSchedule, PlanSchedule } from '@caretaker/protocol';

/**
 * The plan editor's schedule controls and the hub's schedule object, both ways. Pure, so the
 * round trip (what the form says is what the hub stores) is tested without a browser. Numbers
 * stay as typed text until sent: a bad one reaches the hub, whose message names the field.
 */

export const WEEKDAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAY_CODES)[number];
export const FREQUENCIES = ['daily', 'weekly', 'monthly', 'quarterly', 'yearly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export interface ScheduleDraft {
  kind: 'calendar' | 'usage';
  frequency: Frequency;
  /** Every N days / weeks / months (daily, weekly, monthly only). */
  interval: string;
  weekdays: Weekday[];
  /** Monthly, quarterly, yearly: a day of the month, or the nth weekday. */
  monthMode: 'day' | 'nth';
  /** Day of the month; "-1" the last day. */
  day: string;
  /** "1".."5", or "-1" the last. */
  nth: string;
  /** 1..12, yearly only. */
  month: string;
  time: string;
  /** YYYY-MM-DD or empty (the hub takes the day the plan is made). */
  starts: string;
  /** A stored rule the controls cannot show; kept as it is until the planner replaces it. */
  rrule: string | null;
  device: string;
  point: string;
  every: string;
  unit: string;
  /** Usage plans: the counter's value at the last service (empty: from the first reading). */
  lastService: string;
}

export function emptySchedule(): ScheduleDraft {
  return {
    kind: 'calendar',
    frequency: 'weekly',
    interval: '1',
    weekdays: ['MO'],
    monthMode: 'day',
    day: '1',
    nth: '1',
    month: '1',
    time: '08:00',
    starts: '',
    rrule: null,
    device: '',
    point: '',
    every: '',
    unit: '',
    lastService: '',
  };
}

/** A typed number as the hub should see it: NaN text goes as it is typed, so the hub names it. */
function numberOf(text: string): number | string {
  const trimmed = text.trim();
  const n = Number(trimmed);
  return trimmed !== '' && Number.isFinite(n) ? n : trimmed;
}

const sortedDays = (days: readonly Weekday[]): Weekday[] =>
  WEEKDAY_CODES.filter((code) => days.includes(code));

/** The schedule object the API takes, from the controls. */
export function toSchedule(draft: ScheduleDraft): PlanSchedule {
  if (draft.kind === 'usage') {
    const usage: Record<string, unknown> = {
      type: 'usage',
      device: draft.device,
      point: draft.point,
      every: numberOf(draft.every),
    };
    if (draft.unit.trim()) usage.unit = draft.unit.trim();
    if (draft.lastService.trim()) usage.last_service_value = numberOf(draft.lastService);
    return usage as unknown as PlanSchedule;
  }
  const calendar: Record<string, unknown> = { type: 'calendar' };
  if (draft.rrule !== null) {
    calendar.rrule = draft.rrule;
  } else {
    const f = draft.frequency;
    calendar.frequency = f;
    if (f === 'daily' || f === 'weekly' || f === 'monthly') {
      const interval = numberOf(draft.interval);
      if (interval !== 1) calendar.interval = interval;
    }
    const days = sortedDays(draft.weekdays);
    if (f === 'daily' || f === 'weekly') {
      if (days.length > 0) calendar.weekdays = days;
    } else if (draft.monthMode === 'nth') {
      calendar.nth = numberOf(draft.nth);
      calendar.weekdays = days;
    } else {
      calendar.day_of_month = numberOf(draft.day);
    }
    if (f === 'yearly') calendar.month = numberOf(draft.month);
  }
  calendar.time = draft.time;
  if (draft.starts) calendar.starts = draft.starts;
  return calendar as unknown as PlanSchedule;
}

/** The controls showing a stored schedule (a plan being edited). */
export function fromSchedule(schedule: PlanSchedule): ScheduleDraft {
  const draft = emptySchedule();
  if (schedule.type === 'usage') {
    return {
      ...draft,
      kind: 'usage',
      device: schedule.device,
      point: schedule.point,
      every: `${schedule.every}`,
      unit: schedule.unit ?? '',
      lastService: schedule.last_service_value === undefined ? '' : `${schedule.last_service_value}`,
    };
  }
  const s: PlanCalendarSchedule = schedule;
  const base = { ...draft, time: s.time, starts: s.starts ?? '' };
  if (s.rrule !== undefined || !s.frequency) return { ...base, rrule: s.rrule ?? '' };
  return {
    ...base,
    frequency: s.frequency,
    interval: `${s.interval ?? 1}`,
    weekdays: s.weekdays ? [...s.weekdays] : [],
    monthMode: s.nth !== undefined ? 'nth' : 'day',
    day: s.day_of_month !== undefined ? `${s.day_of_month}` : '1',
    nth: s.nth !== undefined ? `${s.nth}` : '1',
    month: s.month !== undefined ? `${s.month}` : '1',
  };
}

/** A plan's window (time allowed after each occurrence) as an amount and a unit, and back. */
export type WindowUnit = 'm' | 'h' | 'd';
export function windowParts(ms: number): { amount: string; unit: WindowUnit } {
  if (ms % 86_400_000 === 0) return { amount: `${ms / 86_400_000}`, unit: 'd' };
  if (ms % 3_600_000 === 0) return { amount: `${ms / 3_600_000}`, unit: 'h' };
  return { amount: `${Math.round(ms / 60_000)}`, unit: 'm' };
}
export function windowText(amount: string, unit: WindowUnit): string {
  return `${amount.trim()}${unit}`;
}
