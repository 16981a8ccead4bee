/**
 * The managers' figures as the hub serves them (GET /api/reports/kpis, the CSV tables under
 * /api/reports/<name>). The definitions are written out in the README ("Figures for managers").
 */

export const REPORT_PERIODS = ['day', 'week', 'month', 'year'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];
/** The tables one report can be downloaded as (the order of the files in the zip). */
export const REPORT_NAMES = ['kpis', 'on-time', 'backlog', 'technicians', 'failures', 'mtbf'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/** The order priorities figures are judged by; each on-time table also has an `all` row. */
export const KPI_PRIORITIES = ['1', '2', '3', '4'] as const;
export type KpiPriority = (typeof KPI_PRIORITIES)[number] | 'all';
/** Open orders by age, youngest first. */
export const BACKLOG_AGE_BANDS = ['under_1d', '1d_3d', '3d_7d', '7d_30d', 'over_30d'] as const;
export type BacklogAgeBand = (typeof BACKLOG_AGE_BANDS)[number];

/** When an order's response is met: once dispatched, or once accepted by the technician. */
export type ResponseEnds = 'dispatched' | 'accepted';

export interface Mean {
  /** Milliseconds, rounded; null when there is nothing to average. */
  mean_ms: number | null;
  count: number;
}

export interface OnTime {
  on_time: number;
  late: number;
  /** Not met yet and not yet due (or the clock is paused): not judged. */
  pending: number;
  /** Created in the period without this due time: not judged, only counted. */
  no_due_time: number;
  /** Cancelled: not judged, only counted. */
  cancelled: number;
  /** on_time / (on_time + late), four decimals; null when nothing was judged. */
  rate: number | null;
}

export interface TechnicianFigures {
  username: string;
  /** The person's name as the users table has it; the user name for someone deleted since. */
  display_name: string;
  completed: number;
  assisted: number;
  ratings: number;
  mean_rating: number | null;
  low_ratings: number;
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
  /** yyyy-MM for months (the calendar of the report's time zone), "total" for the range. */
  label: string;
  orders: { created: number; completed: number; cancelled: number };
  mtta: Mean;
  mttr: Mean & { from_dispatch: Mean };
  on_time: { response: Record<KpiPriority, OnTime>; completion: Record<KpiPriority, OnTime> };
  backlog: {
    at: number;
    open: number;
    overdue: number;
    deferred: number;
    by_age: Record<BacklogAgeBand, number>;
  };
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

/** The figures themselves: one window per period and one for the whole range. */
export interface KpiResult {
  periods: KpiWindow[];
  total: KpiWindow;
  /** Open orders per technician now (primary or assistant); display_name as in `technicians`. */
  load: Array<{ username: string; display_name: string; open: number }>;
}

/** GET /api/reports/kpis. */
export interface KpiReport extends KpiResult {
  from: number;
  to: number;
  period: ReportPeriod;
  tz: string;
  sites: string[] | 'all';
  /** The time the figures were computed at (open orders are judged as of now). */
  as_of: number;
  response_ends: ResponseEnds;
}
