import type { SlaLimitState } from '@caretaker/protocol';

/**
 * The order page's SLA countdown, ticking each second in the browser between the hub's answers.
 * Pure: the hub's state at the moment it answered, and how long ago that was, give the state now.
 */

export type LimitPhase =
  | 'met_on_time'
  | 'met_late'
  | 'running'
  | 'at_risk'
  | 'overdue'
  | 'paused'
  | 'stopped';

export interface LimitNow {
  phase: LimitPhase;
  /** Negative once overdue; for a met limit, how early (positive) or late (negative) it was met. */
  remainingMs: number;
  dueAt: number;
  percent: number;
}

/** The limit `sinceMs` after the hub computed it: a running clock counts on, a paused one does not. */
export function limitNow(limit: SlaLimitState, paused: boolean, sinceMs: number): LimitNow {
  if (limit.met_at !== null) {
    const margin = limit.due_at - limit.met_at;
    return {
      phase: margin >= 0 ? 'met_on_time' : 'met_late',
      remainingMs: margin,
      dueAt: limit.due_at,
      percent: limit.percent,
    };
  }
  if (!limit.running) {
    // Paused while deferred: the deadline moves on with the clock, the remaining time stands.
    const dueAt = paused ? limit.due_at + sinceMs : limit.due_at;
    return {
      phase: paused ? 'paused' : 'stopped',
      remainingMs: limit.remaining_ms,
      dueAt,
      percent: limit.percent,
    };
  }
  const remainingMs = limit.remaining_ms - sinceMs;
  const elapsed = limit.elapsed_ms + sinceMs;
  const percent = limit.limit_ms > 0 ? Math.round((elapsed / limit.limit_ms) * 1000) / 10 : 100;
  const phase = remainingMs <= 0 ? 'overdue' : percent >= 75 ? 'at_risk' : 'running';
  return { phase, remainingMs, dueAt: limit.due_at, percent };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A duration's parts, largest first: days, hours, minutes (and seconds under a day). */
export function durationParts(
  ms: number,
): Array<{ unit: 'day' | 'hour' | 'minute' | 'second'; value: number }> {
  let rest = Math.floor(Math.abs(ms) / SECOND) * SECOND;
  const days = Math.floor(rest / DAY);
  rest -= days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = Math.floor(rest / SECOND);
  const all = [
    { unit: 'day' as const, value: days },
    { unit: 'hour' as const, value: hours },
    { unit: 'minute' as const, value: minutes },
    { unit: 'second' as const, value: seconds },
  ];
  const first = all.findIndex((p) => p.value > 0);
  if (first === -1) return [{ unit: 'second', value: 0 }];
  // Three units from the largest, zeros kept so a ticking countdown does not change its width:
  // "2 d 0 h 10 min" needs no seconds, "4 min 0 s" does.
  return all.slice(first, first + 3);
}

const countdownCache = new Map<string, { units: Map<string, Intl.NumberFormat>; list: Intl.ListFormat }>();

/** "1 hr, 3 min, 5 sec" / "1小时3分钟5秒": Intl's own unit words, in the reader's language. */
export function formatCountdown(ms: number, locale: string): string {
  let cached = countdownCache.get(locale);
  if (!cached) {
    const units = new Map(
      (['day', 'hour', 'minute', 'second'] as const).map((unit) => [
        unit,
        new Intl.NumberFormat(locale, {
          style: 'unit',
          unit,
          unitDisplay: 'short',
          maximumFractionDigits: 0,
        }),
      ]),
    );
    cached = { units, list: new Intl.ListFormat(locale, { style: 'narrow', type: 'unit' }) };
    countdownCache.set(locale, cached);
  }
  const { units, list } = cached;
  return list.format(durationParts(ms).map((p) => (units.get(p.unit) as Intl.NumberFormat).format(p.value)));
}
