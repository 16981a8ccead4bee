import { KPI_PRIORITIES, type KpiPriority, type KpiReport, type ReportName } from '@caretaker/protocol';
import { request } from '../../api/client.js';

/**
 * The hub's managers' figures (hub/src/reports: GET /api/reports/kpis, one table per
 * /api/reports/<name>?format=csv, all of them as a zip from /api/reports/export). The answer's
 * types are shared with the hub through @caretaker/protocol.
 */

/** The on-time charts draw every priority and the `all` row. */
export const PRIORITIES: readonly KpiPriority[] = [...KPI_PRIORITIES, 'all'];

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
export function csvUrl(table: ReportName, query: ReportRequest): string {
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
