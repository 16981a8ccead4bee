import type { AlarmSummary, RuleSummary, SeriesBucket } from '@caretaker/protocol';

/** Pure helpers of the device page's charts (tested without a browser). */

export const RANGES = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
  '30d': 30 * 24 * 3_600_000,
  '1y': 365 * 24 * 3_600_000,
} as const;
export type RangeKey = keyof typeof RANGES;
/** Up to this span live readings are appended to the chart; longer ranges are bucketed too coarsely. */
export const LIVE_SPAN_MS = RANGES['6h'];

/** uPlot's columns: x in seconds, then mean, min and max (null where a bucket is empty). */
export type ChartColumns = [number[], (number | null)[], (number | null)[], (number | null)[]];

export function bucketsToColumns(buckets: readonly SeriesBucket[]): ChartColumns {
  const columns: ChartColumns = [[], [], [], []];
  for (const b of buckets) {
    columns[0].push(b.ts / 1000);
    columns[1].push(b.count > 0 ? b.mean : null);
    columns[2].push(b.count > 0 ? b.min : null);
    columns[3].push(b.count > 0 ? b.max : null);
  }
  return columns;
}

/** Appends a live reading (newer than the last point) and drops what fell out of the range. */
export function appendLive(columns: ChartColumns, ts: number, value: number, fromMs: number): ChartColumns {
  const x = ts / 1000;
  const last = columns[0][columns[0].length - 1];
  if (last !== undefined && x <= last) return columns;
  let drop = 0;
  while (drop < columns[0].length && (columns[0][drop] ?? 0) < fromMs / 1000) drop += 1;
  return [
    [...columns[0].slice(drop), x],
    [...columns[1].slice(drop), value],
    [...columns[2].slice(drop), value],
    [...columns[3].slice(drop), value],
  ];
}

/** When the device was in alarm: [start, end] ms per alarm raise (end = now while it lasts). */
export function alarmPeriods(
  alarms: readonly AlarmSummary[],
  device: string,
  now: number,
): Array<[number, number]> {
  const periods: Array<[number, number]> = [];
  for (const a of alarms) {
    if (a.device !== device) continue;
    const start = a.raised_at ?? a.first_raised_at;
    if (start === null) continue;
    periods.push([start, a.state === 'cleared' ? (a.cleared_at ?? now) : now]);
  }
  return periods;
}

const ORDERED_OPS = new Set(['>', '>=', '<', '<=']);

/**
 * Limits drawn on a point's chart: every rule of the device's type that compares the point
 * (GET /api/rules: the raise value, its hysteresis value, escalation values, a trend's limit),
 * and the limits of the rules that raised an alarm on this device (known even before the rules
 * have loaded). State bits (==, !=) and expressions across points are not lines on one chart.
 */
export function thresholds(
  alarms: readonly AlarmSummary[],
  device: string,
  point: string,
  rules: readonly RuleSummary[] = [],
): number[] {
  const values = new Set<number>();
  const add = (conditions: ReadonlyArray<{ point?: string; op: string; value: number; clear?: number }>) => {
    for (const c of conditions) {
      if (c.point !== point || !ORDERED_OPS.has(c.op)) continue;
      if (Number.isFinite(c.value)) values.add(c.value);
      if (c.clear !== undefined && Number.isFinite(c.clear)) values.add(c.clear);
    }
  };
  for (const rule of rules) {
    add(rule.when ?? []);
    for (const e of rule.escalate) add(e.when);
    if (rule.trend?.point === point) values.add(rule.trend.limit);
  }
  for (const a of alarms) {
    if (a.device !== device) continue;
    add(a.detail.rule?.when ?? []);
    const trend = a.detail.rule?.trend;
    if (trend?.point === point && typeof trend.limit === 'number') values.add(trend.limit);
  }
  return [...values].sort((x, y) => x - y);
}
