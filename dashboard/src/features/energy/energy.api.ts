import type { EnergyGroupBy, EnergyInterval, EnergyReport, EnergyUtility } from '@caretaker/protocol';
import { request } from '../../api/client.js';

/**
 * The hub's energy figures (hub/src/energy: GET /api/energy, `format=csv` for the download); the
 * answer's types are shared with the hub through @caretaker/protocol.
 */

/** What the page asks for: dates are calendar days (YYYY-MM-DD) in the site's time zone, `to` exclusive. */
export interface EnergyRequest {
  utility: EnergyUtility;
  interval: EnergyInterval;
  group_by: EnergyGroupBy;
  from: string;
  to: string;
  site?: string | undefined;
  building?: string | undefined;
  meter?: string | undefined;
}

function params(query: EnergyRequest): URLSearchParams {
  const p = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) p.set(key, String(value));
  return p;
}

export const energyApi = {
  report: (query: EnergyRequest, signal?: AbortSignal) =>
    request<EnergyReport>(`/api/energy?${params(query)}`, { signal: signal ?? null }),
};

/** The CSV download of the same figures (the session cookie goes along with the link). */
export function csvUrl(query: EnergyRequest): string {
  const p = params(query);
  p.set('format', 'csv');
  return `/api/energy?${p}`;
}
