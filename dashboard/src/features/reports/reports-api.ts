import { request } from '../../api/client.js';

/**
 * The hub's managers' figures (hub/src/reports: GET /api/reports/kpis, one table per
 * /api/reports/<name>?format=csv, all of them as a zip from /api/reports/export). Only the parts
 * of the answer these pages read are typed here; the definitions are in the README ("Figures for
 * managers").
 */

export const REPORT_TABLES = ['kpis', 'failures', 'mtbf', 'on-time', 'backlog', 'technicians'] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

export const PRIORITIES = ['1', '2', '3', '4', 'all'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const AGE_BANDS = ['under_1d', '1d_3d', '3d_7d', '7d_30d', 'over_30d'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export interface Mean {
  mean_ms: number | null;
  count: number;
}

export interface OnTime {
  on_time: number;
  late: number;
  pending: number;
  no_due_time: number;
  cancelled: number;
  rate: number | null;
}

export interface MtbfFigure {
  key: string;
  device_type: string;
  intervals: number;
  mean_ms: number | null;
}

export interface KpiWindow {
  start: number;
  end: number;
  /** yyyy-MM for months (the hub's calendar in the report's time zone), "total" for the range. */
  label: string;
  orders: { created: number; completed: number; cancelled: number };
  mtta: Mean;
  mttr: Mean & { from_dispatch: Mean };
  on_time: { response: Record<Priority, OnTime>; completion: Record<Priority, OnTime> };
  backlog: { at: number; open: number; overdue: number; deferred: number; by_age: Record<AgeBand, number> };
  first_time_fix: { completed: number; first_time: number; rate: number | null };
  pm_compliance: {
    due: number;
    on_time: number;
    late: number;
    pending: number;
    cancelled: number;
    rate: number | null;
  };
  ratings: { count: number; mean: number | null; low: number };
  technicians: TechnicianFigures[];
  failures: {
    total: number;
    by_device_type: Record<string, number>;
    by_site: Record<string, number>;
    by_cause: Record<string, number>;
  };
  mtbf: { by_device_type: MtbfFigure[]; by_device: MtbfFigure[] };
}

export interface TechnicianFigures {
  username: string;
  completed: number;
  assisted: number;
  ratings: number;
  mean_rating: number | null;
  low_ratings: number;
}

export interface KpiReport {
  from: number;
  to: number;
  period: 'day' | 'week' | 'month' | 'year';
  tz: string;
  sites: string[] | 'all';
  as_of: number;
  periods: KpiWindow[];
  total: KpiWindow;
  load: Array<{ username: string; open: number }>;
}

export interface SiteRow {
  id: string;
  name: string;
  timezone: string;
}

/** What the pages ask for: a range of whole months (the hub snaps `from` to its month's start). */
export interface ReportRequest {
  from: number;
  to?: number;
  site?: string;
  /** The zone whose calendar months the figures are counted in. */
  tz?: string;
}

function params(query: ReportRequest, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams({ period: 'month', from: String(query.from) });
  if (query.to !== undefined) p.set('to', String(query.to));
  if (query.site) p.set('site', query.site);
  if (query.tz) p.set('tz', query.tz);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

/** The CSV download of one table, for the same range and site as the page. */
export function csvUrl(table: ReportTable, query: ReportRequest): string {
  return `/api/reports/${table}?${params(query, { format: 'csv' })}`;
}

/** Every table's CSV in one zip. */
export function exportAllUrl(query: ReportRequest): string {
  return `/api/reports/export?${params(query)}`;
}

export const reportsApi = {
  kpis: (query: ReportRequest, signal?: AbortSignal) =>
    request<KpiReport>('/api/reports/kpis', {
      query: Object.fromEntries(params(query)),
      signal: signal ?? null,
    }),
  sites: (signal?: AbortSignal) => request<{ sites: SiteRow[] }>('/api/sites', { signal: signal ?? null }),
};
