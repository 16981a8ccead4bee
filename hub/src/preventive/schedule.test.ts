import { describe, expect, it } from 'vitest';
import { judge } from './checklist.js';
import {
  advanceCounter,
  CalendarSchedule,
  calendarScheduleSchema,
  ruleText,
  scheduleSchema,
  usageDue,
} from './schedule.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function calendar(input: Record<string, unknown>, zone = 'Asia/Shanghai') {
  const parsed = calendarScheduleSchema.parse({ type: 'calendar', ...input });
  return new CalendarSchedule({ ...parsed, starts: parsed.starts ?? '2026-01-01' }, zone);
}

describe('calendar schedules', () => {
  it('first Monday of the month at 09:00 Shanghai, across a month boundary', () => {
    const s = calendar({
      frequency: 'monthly',
      nth: 1,
      weekdays: ['MO'],
      time: '09:00',
      starts: '2026-01-01',
    });
    expect(s.rrule).toBe('FREQ=MONTHLY;INTERVAL=1;BYDAY=+1MO');
    // 2026-01-05 is January's first Monday; 09:00 in Shanghai is 01:00 UTC.
    expect(iso(s.next(Date.UTC(2026, 0, 1), true))).toBe('2026-01-05T01:00:00.000Z');
    // From late January the next is February 2nd, in the next month.
    expect(iso(s.next(Date.UTC(2026, 0, 26)))).toBe('2026-02-02T01:00:00.000Z');
    // 15:30 UTC on Sunday March 1st is 23:30 local; March's first Monday is the next day.
    expect(iso(s.next(Date.UTC(2026, 2, 1, 15, 30)))).toBe('2026-03-02T01:00:00.000Z');
  });

  it('uses the local date, not UTC, at the month boundary', () => {
    const s = calendar({
      frequency: 'monthly',
      nth: 1,
      weekdays: ['MO'],
      time: '07:30',
      starts: '2026-01-01',
    });
    // 2026-06-01 is a Monday. 07:30 in Shanghai is 23:30 UTC on Sunday 31 May: in UTC the
    // occurrence is in May, but it is June's first Monday.
    expect(iso(s.next(Date.UTC(2026, 4, 20)))).toBe('2026-05-31T23:30:00.000Z');
  });

  it('every week on Monday, and every two weeks', () => {
    const weekly = calendar({ frequency: 'weekly', weekdays: ['MO'], time: '08:00', starts: '2026-01-05' });
    expect(weekly.between(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 27)).map(iso)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-12T00:00:00.000Z',
      '2026-01-19T00:00:00.000Z',
      '2026-01-26T00:00:00.000Z',
    ]);
    const fortnightly = calendar({ frequency: 'weekly', interval: 2, time: '08:00', starts: '2026-01-05' });
    expect(fortnightly.rrule).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO');
    expect(fortnightly.between(Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 10)).map(iso)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-19T00:00:00.000Z',
      '2026-02-02T00:00:00.000Z',
    ]);
  });

  it('quarterly and yearly from the start date', () => {
    const quarterly = calendar({ frequency: 'quarterly', time: '10:00', starts: '2026-01-15' });
    expect(quarterly.rrule).toBe('FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15');
    expect(quarterly.between(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)).map(iso)).toEqual([
      '2026-01-15T02:00:00.000Z',
      '2026-04-15T02:00:00.000Z',
      '2026-07-15T02:00:00.000Z',
      '2026-10-15T02:00:00.000Z',
    ]);
    const yearly = calendar({ frequency: 'yearly', month: 3, day_of_month: 1, starts: '2026-01-01' });
    expect(yearly.between(Date.UTC(2026, 0, 1), Date.UTC(2028, 0, 1)).map(iso)).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2027-03-01T00:00:00.000Z',
    ]);
  });

  it('a raw rule, in a timezone with daylight saving', () => {
    const s = calendar(
      { rrule: 'FREQ=WEEKLY;BYDAY=SU', time: '09:00', starts: '2026-03-01' },
      'Europe/Berlin',
    );
    // Berlin moves to summer time on 2026-03-29: 09:00 is 08:00 UTC before, 07:00 UTC after.
    expect(s.between(Date.UTC(2026, 2, 20), Date.UTC(2026, 3, 1)).map(iso)).toEqual([
      '2026-03-22T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
    ]);
  });

  it('refuses bad schedules, naming the field', () => {
    const problem = (input: Record<string, unknown>) => {
      const r = scheduleSchema.safeParse(input);
      return r.success ? null : `${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`;
    };
    expect(problem({ type: 'calendar' })).toMatch(/^frequency: give either rrule or frequency/);
    expect(problem({ type: 'calendar', frequency: 'weekly', nth: 1, weekdays: ['MO'] })).toMatch(
      /^nth: needs a monthly/,
    );
    expect(problem({ type: 'calendar', frequency: 'monthly', weekdays: ['MO'] })).toMatch(
      /^weekdays: .*needs nth/,
    );
    expect(problem({ type: 'calendar', rrule: 'FREQ=MINUTELY' })).toMatch(/^rrule: FREQ must be HOURLY/);
    expect(problem({ type: 'calendar', rrule: 'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY' })).toMatch(
      /^rrule: must not contain DTSTART/,
    );
    expect(problem({ type: 'calendar', frequency: 'daily', time: '25:00' })).toMatch(/^time: must be a time/);
    expect(problem({ type: 'calendar', frequency: 'daily', starts: '2026-02-30' })).toMatch(
      /^starts: is not a calendar date/,
    );
    expect(problem({ type: 'usage', device: 'p', point: 'running_hours', every: 0 })).toMatch(/^every: /);
    expect(problem({ type: 'weekly' })).toMatch(/^type: must have type calendar or usage/);
  });

  it('writes rules for the plain fields', () => {
    const parse = (x: Record<string, unknown>) => calendarScheduleSchema.parse({ type: 'calendar', ...x });
    expect(ruleText(parse({ frequency: 'monthly', nth: -1, weekdays: ['FR'] }), '2026-01-01')).toBe(
      'FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR',
    );
    expect(ruleText(parse({ frequency: 'daily', weekdays: ['MO', 'FR'] }), '2026-01-01')).toBe(
      'FREQ=DAILY;INTERVAL=1;BYDAY=MO,FR',
    );
  });
});

describe('usage counters', () => {
  it('counts increases, and resumes from the new value after a reset', () => {
    let state = { lastRaw: null as number | null, total: 0 };
    for (const raw of [100, 150, 1_900]) state = advanceCounter(state, raw);
    expect(state.total).toBe(1_800);
    const reset = advanceCounter(state, 5);
    expect(reset).toEqual({ lastRaw: 5, total: 1_800, reset: true });
    expect(advanceCounter(reset, 205).total).toBe(2_000);
    expect(usageDue(1_999.999, 2_000)).toBe(false);
    expect(usageDue(0.1 + 0.2 + 1_999.7, 2_000)).toBe(true);
  });
});

describe('judging results', () => {
  const none = () => null;
  it('numbers within limits pass, outside fail', () => {
    const item = { key: 'vib', label: 'Vibration', type: 'number' as const, min: 0, max: 4.5, unit: 'mm/s' };
    expect(judge(item, { value: 4.5 }, none)).toMatchObject({ status: 'pass', value: 4.5 });
    expect(judge(item, { value: 7.1 }, none)).toMatchObject({
      status: 'fail',
      reason: '7.1 mm/s is above 4.5 mm/s',
    });
    expect(judge(item, {}, none)).toEqual({
      error: { field: 'value', message: 'required for a number item' },
    });
  });
  it('meter readings are checked against the live counter', () => {
    const item = {
      key: 'hours',
      label: 'Hours',
      type: 'meter' as const,
      point: 'running_hours',
      tolerance: 2,
    };
    const live = (point: string) => (point === 'running_hours' ? 13_140 : null);
    expect(judge(item, { value: 13_141 }, live)).toMatchObject({ status: 'pass', liveValue: 13_140 });
    expect(judge(item, { value: 13_100 }, live)).toMatchObject({ status: 'fail', liveValue: 13_140 });
    expect(judge(item, { value: -1 }, live)).toMatchObject({ error: { field: 'value' } });
  });
  it('pass/fail and photos', () => {
    expect(judge({ key: 'a', label: 'A', type: 'pass_fail' }, { passed: false }, none)).toMatchObject({
      status: 'fail',
    });
    expect(judge({ key: 'p', label: 'P', type: 'photo' }, { attachment_id: 3 }, none)).toMatchObject({
      status: 'pass',
      attachmentId: 3,
    });
    expect(judge({ key: 'p', label: 'P', type: 'photo' }, { passed: true }, none)).toMatchObject({
      error: { field: 'attachment_id' },
    });
  });
});
