import type { Plan, PlanSchedule } from '@caretaker/protocol';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { formattersFor } from '../../i18n/format.js';
import { en, zhCN } from './messages.js';
import { scheduleWords, usageProgress, type WordsContext } from './schedule-words.js';

function context(language: 'en' | 'zh-CN', locale = language === 'en' ? 'en-GB' : 'zh-CN'): WordsContext {
  const i18n = i18next.createInstance();
  void i18n.init({
    lng: language,
    initAsync: false,
    resources: {
      en: { translation: { inspections: en } },
      'zh-CN': { translation: { inspections: zhCN } },
    },
    interpolation: { escapeValue: false },
  });
  const points: Record<string, string> = { running_hours: 'Running hours', door_cycles: 'Door cycles' };
  return {
    t: (key, options) => i18n.t(key, options ?? {}) as string,
    locale,
    number: formattersFor(locale).number,
    point: (p) => points[p] ?? p,
  };
}

const cal = (fields: Partial<Extract<PlanSchedule, { type: 'calendar' }>>): PlanSchedule => ({
  type: 'calendar',
  time: '07:30',
  starts: '2026-03-04',
  ...fields,
});

describe('a schedule in words', () => {
  const english = context('en');
  const cases: Array<[string, PlanSchedule, string]> = [
    ['daily', cal({ frequency: 'daily' }), 'Every day at 07:30'],
    ['every 3 days', cal({ frequency: 'daily', interval: 3 }), 'Every 3 days at 07:30'],
    [
      'weekdays',
      cal({ frequency: 'daily', weekdays: ['MO', 'TU', 'WE'] }),
      'Every Monday, Tuesday and Wednesday at 07:30',
    ],
    ['weekly', cal({ frequency: 'weekly', weekdays: ['MO'] }), 'Every Monday at 07:30'],
    ['weekly, the start date gives the day', cal({ frequency: 'weekly' }), 'Every Wednesday at 07:30'],
    [
      'fortnightly',
      cal({ frequency: 'weekly', interval: 2, weekdays: ['TH'] }),
      'Every 2 weeks on Thursday at 07:30',
    ],
    [
      'first Monday',
      cal({ frequency: 'monthly', nth: 1, weekdays: ['MO'] }),
      'The first Monday of every month at 07:30',
    ],
    [
      'last Friday',
      cal({ frequency: 'monthly', nth: -1, weekdays: ['FR'] }),
      'The last Friday of every month at 07:30',
    ],
    ['day of month', cal({ frequency: 'monthly', day_of_month: 15 }), 'Day 15 of every month at 07:30'],
    ['the last day', cal({ frequency: 'monthly', day_of_month: -1 }), 'The last day of every month at 07:30'],
    [
      'every 2 months',
      cal({ frequency: 'monthly', interval: 2, day_of_month: 1 }),
      'Day 1 of every 2 months at 07:30',
    ],
    ['quarterly, from the start date', cal({ frequency: 'quarterly' }), 'Day 4 of every quarter at 07:30'],
    [
      'yearly',
      cal({ frequency: 'yearly', month: 11, day_of_month: 20 }),
      'Every year on 20 November at 07:30',
    ],
    [
      'yearly nth',
      cal({ frequency: 'yearly', month: 5, nth: 2, weekdays: ['SU'] }),
      'The second Sunday of May every year at 07:30',
    ],
    ['a rule', cal({ rrule: 'FREQ=MONTHLY;BYDAY=+1MO' }), 'Recurrence rule FREQ=MONTHLY;BYDAY=+1MO'],
    [
      'usage',
      { type: 'usage', device: 'pump-1', point: 'running_hours', every: 2000, unit: 'h' },
      'Every 2,000 h of Running hours on pump-1',
    ],
  ];
  it.each(cases)('%s', (_name, schedule, words) => {
    expect(scheduleWords(schedule, english)).toBe(words);
  });

  it('in Chinese, with its own weekday names and numbers', () => {
    const zh = context('zh-CN');
    expect(scheduleWords(cal({ frequency: 'weekly', weekdays: ['MO'] }), zh)).toBe('每星期一 07:30');
    expect(scheduleWords(cal({ frequency: 'monthly', nth: 1, weekdays: ['MO'] }), zh)).toBe(
      '每月第一个星期一 07:30',
    );
    expect(scheduleWords(cal({ frequency: 'monthly', day_of_month: 15 }), zh)).toBe('每月第 15 日 07:30');
    expect(
      scheduleWords({ type: 'usage', device: 'elevator-1', point: 'door_cycles', every: 50_000 }, zh),
    ).toBe('elevator-1 的Door cycles每 50,000');
  });

  it('the time of day follows the locale', () => {
    expect(scheduleWords(cal({ frequency: 'daily', time: '19:05' }), context('en', 'en-US'))).toBe(
      'Every day at 07:05 PM',
    );
  });

  it("a usage plan's progress, never past its interval", () => {
    const usage: NonNullable<Plan['usage']> = {
      device: 'pump-1',
      point: 'running_hours',
      every: 2000,
      unit: 'h',
      last_value: 13_140,
      used_since_last: 1230,
      remaining: 770,
      occurrences: 1,
    };
    expect(usageProgress(usage, english)).toBe('1,230 of 2,000 h');
    expect(usageProgress({ ...usage, used_since_last: 2004.5 }, english)).toBe('2,000 of 2,000 h');
    expect(usageProgress({ ...usage, unit: null, used_since_last: 12.345 }, context('zh-CN'))).toBe(
      '12.35 / 2,000',
    );
  });
});
