import { DateTime } from 'luxon';

/**
 * Whether someone is on shift at a moment, from weekly shifts and dated roster entries, in the
 * site's local time (luxon does the time-zone arithmetic, daylight saving included). Pure.
 *
 * A shift whose end is not after its start runs past midnight (22:00–06:00). A roster entry
 * for a local date replaces that person's weekly shifts starting on that date (a swap, an
 * extra day); an entry with `on_duty` 0 is a day off.
 */

export interface WeeklyShift {
  weekday: number;
  start_minute: number;
  end_minute: number;
  site: string | null;
}

export interface RosterDay {
  day: string;
  start_minute: number | null;
  end_minute: number | null;
  site: string | null;
  on_duty: number;
}

export interface OnShift {
  onShift: boolean;
  /** The shift that covers the moment, as `08:00–17:00` (null when off shift). */
  shift: string | null;
  /** Why off shift: `off shift (shifts 08:00–17:00 on Mon-Fri)`, `day off (roster)`. */
  why: string;
}

interface Span {
  start: number;
  end: number;
  site: string | null;
}

const MINUTES_PER_DAY = 1440;
const WEEKDAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function formatMinute(minute: number): string {
  const m = ((minute % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function spanText(span: { start: number; end: number }): string {
  return `${formatMinute(span.start)}–${span.end === MINUTES_PER_DAY ? '24:00' : formatMinute(span.end)}`;
}

/** The spans starting on one local date: the roster's if it has entries then, else the week's. */
function spansOn(
  date: DateTime,
  weekly: readonly WeeklyShift[],
  roster: readonly RosterDay[],
): {
  spans: Span[];
  rostered: boolean;
} {
  const day = date.toISODate() as string;
  const entries = roster.filter((r) => r.day === day);
  if (entries.length > 0) {
    return {
      rostered: true,
      spans: entries
        .filter((r) => r.on_duty === 1 && r.start_minute !== null && r.end_minute !== null)
        .map((r) => ({ start: r.start_minute as number, end: r.end_minute as number, site: r.site })),
    };
  }
  return {
    rostered: false,
    spans: weekly
      .filter((s) => s.weekday === date.weekday)
      .map((s) => ({ start: s.start_minute, end: s.end_minute, site: s.site })),
  };
}

export function onShiftAt(
  now: number,
  timezone: string,
  site: string,
  weekly: readonly WeeklyShift[],
  roster: readonly RosterDay[],
): OnShift {
  const local = DateTime.fromMillis(now, { zone: timezone });
  const minute = local.hour * 60 + local.minute;
  const here = (s: Span) => s.site === null || s.site === site;
  const today = spansOn(local, weekly, roster);
  for (const span of today.spans.filter(here)) {
    const overnight = span.end <= span.start;
    if (minute >= span.start && (overnight || minute < span.end)) {
      return { onShift: true, shift: spanText(span), why: `on shift (${spanText(span)})` };
    }
  }
  // Yesterday's overnight shift may still be running.
  const yesterday = spansOn(local.minus({ days: 1 }), weekly, roster);
  for (const span of yesterday.spans.filter(here)) {
    if (span.end <= span.start && minute < span.end) {
      return { onShift: true, shift: spanText(span), why: `on shift (${spanText(span)}, since yesterday)` };
    }
  }
  const localText = `${WEEKDAYS[local.weekday]} ${formatMinute(minute)} ${timezone}`;
  if (today.rostered && today.spans.length === 0)
    return { onShift: false, shift: null, why: `day off (roster, ${localText})` };
  const elsewhere = today.spans.filter((s) => !here(s));
  if (elsewhere.length > 0 && today.spans.every((s) => !here(s))) {
    return { onShift: false, shift: null, why: `on shift at site ${elsewhere[0]?.site} today, not here` };
  }
  const todays = today.spans.filter(here).map(spanText);
  return {
    onShift: false,
    shift: null,
    why:
      todays.length > 0
        ? `off shift (${localText}; today ${todays.join(', ')})`
        : weekly.length === 0 && roster.length === 0
          ? 'no shifts on file'
          : `off shift (${localText}; no shift today)`,
  };
}
