import type { SlaLimitState } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { durationParts, formatCountdown, limitNow } from './sla-countdown.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 11, 6, 2, 0);

function limit(patch: Partial<SlaLimitState> = {}): SlaLimitState {
  return {
    kind: 'completion',
    limit_ms: 4 * HOUR,
    due_at: T0 + 3 * HOUR,
    met_at: null,
    elapsed_ms: HOUR,
    remaining_ms: 3 * HOUR,
    percent: 25,
    breached: false,
    running: true,
    ...patch,
  };
}

describe('SLA countdown', () => {
  it('counts a running limit down from the hub’s answer, into at risk and overdue', () => {
    expect(limitNow(limit(), false, 5_000)).toEqual({
      phase: 'running',
      remainingMs: 3 * HOUR - 5_000,
      dueAt: T0 + 3 * HOUR,
      percent: 25,
    });
    expect(limitNow(limit(), false, 2 * HOUR).phase).toBe('at_risk');
    const late = limitNow(limit(), false, 3 * HOUR + MINUTE);
    expect(late.phase).toBe('overdue');
    expect(late.remainingMs).toBe(-MINUTE);
    expect(late.percent).toBe(100.4);
  });

  it('stands still while the order is deferred, its deadline moving with the pause', () => {
    const paused = limitNow(limit({ running: false }), true, 10 * MINUTE);
    expect(paused).toEqual({
      phase: 'paused',
      remainingMs: 3 * HOUR,
      dueAt: T0 + 3 * HOUR + 10 * MINUTE,
      percent: 25,
    });
  });

  it('says whether a met limit was met on time, and by how much', () => {
    expect(limitNow(limit({ met_at: T0 + HOUR, running: false }), false, HOUR)).toMatchObject({
      phase: 'met_on_time',
      remainingMs: 2 * HOUR,
    });
    expect(limitNow(limit({ met_at: T0 + 4 * HOUR, running: false }), false, 0)).toMatchObject({
      phase: 'met_late',
      remainingMs: -HOUR,
    });
  });

  it('splits durations into at most three units from the largest', () => {
    expect(durationParts(2 * 24 * HOUR + 10 * MINUTE + 5_000)).toEqual([
      { unit: 'day', value: 2 },
      { unit: 'hour', value: 0 },
      { unit: 'minute', value: 10 },
    ]);
    expect(durationParts(-(4 * MINUTE + 999))).toEqual([
      { unit: 'minute', value: 4 },
      { unit: 'second', value: 0 },
    ]);
    expect(durationParts(400)).toEqual([{ unit: 'second', value: 0 }]);
  });

  it('words the countdown through Intl in the reader’s language', () => {
    const ms = HOUR + 3 * MINUTE + 5_000;
    expect(formatCountdown(ms, 'en')).toBe('1 hr 3 min 5 sec');
    expect(formatCountdown(ms, 'zh-CN')).toBe('1小时3分钟5秒');
  });
});
