import { describe, expect, it } from 'vitest';
import { onShiftAt, type RosterDay, type WeeklyShift } from './shifts.js';

const shift = (weekday: number, start: string, end: string, site: string | null = null): WeeklyShift => {
  const m = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  return { weekday, start_minute: m(start), end_minute: end === '24:00' ? 1440 : m(end), site };
};
/** A local time in Shanghai (UTC+8, no daylight saving) as epoch ms. */
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

describe('on shift', () => {
  const cases: Array<{
    name: string;
    at: number;
    tz?: string;
    weekly: WeeklyShift[];
    roster?: RosterDay[];
    on: boolean;
    why: string;
  }> = [
    {
      name: 'inside a day shift',
      at: shanghai('2026-01-05T10:00'),
      weekly: [shift(1, '08:00', '17:00')],
      on: true,
      why: 'on shift (08:00–17:00)',
    },
    {
      name: 'the end minute is off',
      at: shanghai('2026-01-05T17:00'),
      weekly: [shift(1, '08:00', '17:00')],
      on: false,
      why: 'off shift (Mon 17:00 Asia/Shanghai; today 08:00–17:00)',
    },
    {
      name: 'another weekday',
      at: shanghai('2026-01-06T10:00'),
      weekly: [shift(1, '08:00', '17:00')],
      on: false,
      why: 'off shift (Tue 10:00 Asia/Shanghai; no shift today)',
    },
    {
      name: 'a night shift before midnight',
      at: shanghai('2026-01-05T23:30'),
      weekly: [shift(1, '22:00', '06:00')],
      on: true,
      why: 'on shift (22:00–06:00)',
    },
    {
      name: 'a night shift after midnight',
      at: shanghai('2026-01-06T05:59'),
      weekly: [shift(1, '22:00', '06:00')],
      on: true,
      why: 'on shift (22:00–06:00, since yesterday)',
    },
    {
      name: 'a night shift over',
      at: shanghai('2026-01-06T06:00'),
      weekly: [shift(1, '22:00', '06:00')],
      on: false,
      why: 'off shift (Tue 06:00 Asia/Shanghai; no shift today)',
    },
    {
      name: 'a shift to midnight',
      at: shanghai('2026-01-05T23:59'),
      weekly: [shift(1, '18:00', '24:00')],
      on: true,
      why: 'on shift (18:00–24:00)',
    },
    {
      name: 'a shift at another site',
      at: shanghai('2026-01-05T10:00'),
      weekly: [shift(1, '08:00', '17:00', 'south')],
      on: false,
      why: 'on shift at site south today, not here',
    },
    {
      name: 'a roster day off',
      at: shanghai('2026-01-05T10:00'),
      weekly: [shift(1, '08:00', '17:00')],
      roster: [{ day: '2026-01-05', on_duty: 0, start_minute: null, end_minute: null, site: null }],
      on: false,
      why: 'day off (roster, Mon 10:00 Asia/Shanghai)',
    },
    {
      name: 'a roster swap to the evening',
      at: shanghai('2026-01-05T19:00'),
      weekly: [shift(1, '08:00', '17:00')],
      roster: [{ day: '2026-01-05', on_duty: 1, start_minute: 18 * 60, end_minute: 22 * 60, site: null }],
      on: true,
      why: 'on shift (18:00–22:00)',
    },
    {
      name: 'local time across daylight saving (Berlin, first Sunday of summer time)',
      at: Date.parse('2026-03-29T07:30:00Z'),
      tz: 'Europe/Berlin',
      weekly: [shift(7, '09:00', '17:00')],
      on: true,
      why: 'on shift (09:00–17:00)',
    },
    {
      name: 'nobody planned',
      at: shanghai('2026-01-05T10:00'),
      weekly: [],
      on: false,
      why: 'no shifts on file',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = onShiftAt(c.at, c.tz ?? 'Asia/Shanghai', 'north', c.weekly, c.roster ?? []);
      expect(result.onShift).toBe(c.on);
      expect(result.why).toBe(c.why);
    });
  }
});
