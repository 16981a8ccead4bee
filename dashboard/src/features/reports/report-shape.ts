import {
  BACKLOG_AGE_BANDS,
  type KpiPriority,
  type KpiReport,
  type KpiWindow,
  type TechnicianFigures,
} from '@caretaker/protocol';
import { PRIORITIES, type ReportRequest } from './reports-api.js';

/**
 * Pure shaping of the hub's figures for the reports pages: range presets, chart series, changes
 * against the previous period, the technicians' table. Tested without a browser.
 */

export const PRESETS = ['3m', '6m', '12m', 'ytd'] as const;
export type Preset = (typeof PRESETS)[number];
export const DEFAULT_PRESET: Preset = '12m';

export function parsePreset(raw: string | null): Preset {
  return (PRESETS as readonly string[]).includes(raw ?? '') ? (raw as Preset) : DEFAULT_PRESET;
}

const HOUR = 3_600_000;
/**
 * A `from` inside month M of year Y in every time zone (UTC−12 to UTC+14): the hub snaps it to the
 * month's start in the report's zone, which the browser does not know before the answer.
 */
export const monthStart = (year: number, month: number) => Date.UTC(year, month, 1, 12);
/** An exclusive `to` that ends month M−1 in every zone: the hub's periods stop before month M. */
export const monthBoundary = (year: number, month: number) => Date.UTC(year, month, 1) - 14 * HOUR;

export interface PresetRanges {
  /** Calendar months in the range, the current one (still running) included. */
  months: number;
  current: ReportRequest;
  /** The same number of whole months just before (this year: the same months last year). */
  previous: ReportRequest;
}

/** The year and month (0–11) of an instant in a time zone. */
export function calendarMonth(now: number, zone: string): { year: number; month: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
  }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month') - 1 };
}

/**
 * The months of a preset, counted in the report's time zone (the hub's months are that zone's:
 * the browser's own calendar could be a month off around midnight on the 1st).
 */
export function presetRanges(preset: Preset, now: number, zone: string, site?: string): PresetRanges {
  const { year: y, month: m } = calendarMonth(now, zone);
  const where = { tz: zone, ...(site ? { site } : {}) };
  if (preset === 'ytd') {
    return {
      months: m + 1,
      // In the first hours of a year `from` would be after now (the hub refuses from ≥ to).
      current: { from: Math.min(monthStart(y, 0), now - 1), ...where },
      previous: { from: monthStart(y - 1, 0), to: monthBoundary(y - 1, m + 1), ...where },
    };
  }
  const n = Number.parseInt(preset, 10);
  return {
    months: n,
    current: { from: monthStart(y, m - (n - 1)), ...where },
    previous: { from: monthStart(y, m - (2 * n - 1)), to: monthBoundary(y, m - (n - 1)), ...where },
  };
}

/**
 * The zone the pages count months in: the chosen site's; for all sites, theirs if they share
 * one, else the browser's.
 */
export function reportZone(
  sites: ReadonlyArray<{ id: string; timezone: string }>,
  site: string | undefined,
  browserZone: string,
): string {
  const chosen = site ? sites.find((s) => s.id === site) : undefined;
  if (chosen) return chosen.timezone;
  const zones = new Set(sites.map((s) => s.timezone));
  return !site && zones.size === 1 ? (zones.values().next().value as string) : browserZone;
}

/** A month label from the hub ('2026-03') as a date the formatter can name in any language. */
export function monthOf(label: string): number | null {
  const match = /^(\d{4})-(\d{2})$/.exec(label);
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
}

export interface Stacks {
  /** Series keys, the largest overall first (so the biggest sits at the bottom of each bar). */
  keys: string[];
  rows: Array<{ label: string; values: Record<string, number>; total: number }>;
  /** The largest bar (the scale). */
  max: number;
}

/** Stacked bars, one per period, of counts by key. */
export function stacks(
  periods: readonly KpiWindow[],
  pick: (w: KpiWindow) => Record<string, number>,
  order?: readonly string[],
): Stacks {
  const totals = new Map<string, number>();
  const rows = periods.map((w) => {
    const values = { ...pick(w) };
    let total = 0;
    for (const [k, v] of Object.entries(values)) {
      totals.set(k, (totals.get(k) ?? 0) + v);
      total += v;
    }
    return { label: w.label, values, total };
  });
  const keys = order
    ? [...order]
    : [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  return { keys, rows, max: Math.max(0, ...rows.map((r) => r.total)) };
}

export type FailureDimension = 'device_type' | 'site' | 'cause';

export function failureStacks(periods: readonly KpiWindow[], dimension: FailureDimension): Stacks {
  return stacks(periods, (w) => w.failures[`by_${dimension}`]);
}

export function backlogStacks(periods: readonly KpiWindow[]): Stacks {
  return stacks(periods, (w) => ({ ...w.backlog.by_age }), BACKLOG_AGE_BANDS);
}

export interface Lines {
  labels: string[];
  series: Array<{ key: string; values: Array<number | null> }>;
}

const hours = (ms: number | null) => (ms === null ? null : ms / HOUR);

/** MTBF per device type per month, in hours (null: no operating interval ended that month). */
export function mtbfLines(periods: readonly KpiWindow[]): Lines {
  const types = new Set<string>();
  for (const w of periods) for (const m of w.mtbf.by_device_type) types.add(m.key);
  return {
    labels: periods.map((w) => w.label),
    series: [...types].sort().map((key) => ({
      key,
      values: periods.map((w) => hours(w.mtbf.by_device_type.find((m) => m.key === key)?.mean_ms ?? null)),
    })),
  };
}

/** MTTR per month in hours: from the report, and from the dispatch (the repair itself). */
export function mttrLines(periods: readonly KpiWindow[]): Lines {
  return {
    labels: periods.map((w) => w.label),
    series: [
      { key: 'mttr', values: periods.map((w) => hours(w.mttr.mean_ms)) },
      { key: 'from_dispatch', values: periods.map((w) => hours(w.mttr.from_dispatch.mean_ms)) },
    ],
  };
}

export type Limit = 'response' | 'completion';

/** The on-time rate (0–1) per priority per month; null where nothing was judged. */
export function onTimeLines(periods: readonly KpiWindow[], limit: Limit): Lines {
  return {
    labels: periods.map((w) => w.label),
    series: PRIORITIES.map((p: KpiPriority) => ({
      key: p,
      values: periods.map((w) => w.on_time[limit][p]?.rate ?? null),
    })),
  };
}

export type Direction = 'up' | 'down' | 'same' | 'none';

export interface Change {
  direction: Direction;
  /** current − previous; null when either is missing. */
  delta: number | null;
  /** Whether the change is good news, for figures where one way is better. */
  verdict: 'better' | 'worse' | null;
}

/**
 * The change of a figure against the previous period. `better` says which way is good ('up' for
 * rates, 'down' for times); null for plain counts.
 */
export function change(
  current: number | null,
  previous: number | null,
  better: 'up' | 'down' | null,
): Change {
  if (current === null || previous === null) return { direction: 'none', delta: null, verdict: null };
  const delta = current - previous;
  // Rates come with four decimals and means in whole ms: anything smaller is no change.
  if (Math.abs(delta) < 1e-9) return { direction: 'same', delta: 0, verdict: null };
  const direction = delta > 0 ? 'up' : 'down';
  return { direction, delta, verdict: better === null ? null : direction === better ? 'better' : 'worse' };
}

export interface TechnicianRow extends TechnicianFigures {
  /** Open orders now (primary or assistant). */
  open_now: number;
}

/** One row per technician: the range's figures and the load now (someone may have only one). */
export function technicianRows(total: KpiWindow, load: KpiReport['load']): TechnicianRow[] {
  const rows = new Map<string, TechnicianRow>();
  for (const t of total.technicians) rows.set(t.username, { ...t, open_now: 0 });
  for (const l of load) {
    const row = rows.get(l.username) ?? {
      username: l.username,
      display_name: l.display_name,
      completed: 0,
      assisted: 0,
      ratings: 0,
      mean_rating: null,
      low_ratings: 0,
      open_now: 0,
    };
    row.open_now = l.open;
    rows.set(l.username, row);
  }
  return [...rows.values()];
}

export type TechnicianColumn = Exclude<keyof TechnicianRow, never>;
export type SortDirection = 'ascending' | 'descending';

/** Sorted by a column (people by their names); missing ratings last whichever way; ties by user name. */
export function sortTechnicians(
  rows: readonly TechnicianRow[],
  column: TechnicianColumn,
  direction: SortDirection,
): TechnicianRow[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[column];
    const y = b[column];
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (typeof x === 'string' || typeof y === 'string') {
      const byText = String(x).localeCompare(String(y));
      if (byText !== 0) return sign * byText;
    } else if (x !== y) {
      return sign * (x - y);
    }
    return a.username.localeCompare(b.username);
  });
}
