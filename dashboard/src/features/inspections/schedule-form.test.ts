import type { PlanSchedule } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { emptySchedule, fromSchedule, toSchedule, windowParts, windowText } from './schedule-form.js';

describe('schedule controls ↔ the hub schedule', () => {
  it('every 2 weeks on Monday and Thursday at 07:30 (days in week order)', () => {
    const draft = { ...emptySchedule(), interval: '2', weekdays: ['TH', 'MO'] as const, time: '07:30' };
    expect(toSchedule({ ...draft, weekdays: [...draft.weekdays] })).toEqual({
      type: 'calendar',
      frequency: 'weekly',
      interval: 2,
      weekdays: ['MO', 'TH'],
      time: '07:30',
    });
  });

  it('the first Monday of every 3 months, and the last day of the month', () => {
    const base = { ...emptySchedule(), frequency: 'monthly' as const };
    expect(toSchedule({ ...base, interval: '3', monthMode: 'nth', nth: '1', weekdays: ['MO'] })).toEqual({
      type: 'calendar',
      frequency: 'monthly',
      interval: 3,
      nth: 1,
      weekdays: ['MO'],
      time: '08:00',
    });
    expect(toSchedule({ ...base, monthMode: 'day', day: '-1', weekdays: ['MO'] })).toEqual({
      type: 'calendar',
      frequency: 'monthly',
      day_of_month: -1,
      time: '08:00',
    });
  });

  it('yearly carries its month; quarterly and yearly take no interval', () => {
    const draft = { ...emptySchedule(), frequency: 'yearly' as const, interval: '5', day: '15', month: '6' };
    expect(toSchedule(draft)).toEqual({
      type: 'calendar',
      frequency: 'yearly',
      day_of_month: 15,
      month: 6,
      time: '08:00',
    });
    expect(toSchedule({ ...draft, frequency: 'quarterly' })).not.toHaveProperty('interval');
  });

  it('a usage plan, and a bad number goes as typed so the hub names it', () => {
    const draft = { ...emptySchedule(), kind: 'usage' as const, device: 'pump-1', point: 'running_hours' };
    expect(toSchedule({ ...draft, every: '500', unit: 'h', lastService: '1200' })).toEqual({
      type: 'usage',
      device: 'pump-1',
      point: 'running_hours',
      every: 500,
      unit: 'h',
      last_service_value: 1200,
    });
    expect(toSchedule({ ...draft, every: 'lots' })).toMatchObject({ every: 'lots' });
    expect(toSchedule({ ...emptySchedule(), interval: '' })).toMatchObject({ interval: '' });
  });

  it.each<PlanSchedule>([
    {
      type: 'calendar',
      frequency: 'weekly',
      interval: 2,
      weekdays: ['MO', 'FR'],
      time: '07:30',
      starts: '2026-01-05',
    },
    {
      type: 'calendar',
      frequency: 'monthly',
      nth: -1,
      weekdays: ['FR'],
      time: '16:00',
      starts: '2026-01-01',
    },
    { type: 'calendar', frequency: 'yearly', day_of_month: 1, month: 3, time: '09:00', starts: '2026-01-01' },
    { type: 'calendar', frequency: 'daily', time: '06:00', starts: '2026-01-01' },
    { type: 'calendar', rrule: 'FREQ=MONTHLY;BYDAY=+2TU', time: '08:00', starts: '2026-01-01' },
    { type: 'usage', device: 'elevator-1', point: 'door_cycles', every: 10_000 },
  ])('a stored schedule comes back unchanged through the controls: %j', (schedule) => {
    expect(toSchedule(fromSchedule(schedule))).toEqual(schedule);
  });

  it('the window in whole days, hours or minutes', () => {
    expect(windowParts(3 * 86_400_000)).toEqual({ amount: '3', unit: 'd' });
    expect(windowParts(36 * 3_600_000)).toEqual({ amount: '36', unit: 'h' });
    expect(windowParts(90 * 60_000)).toEqual({ amount: '90', unit: 'm' });
    expect(windowText(' 2 ', 'd')).toBe('2d');
  });
});
