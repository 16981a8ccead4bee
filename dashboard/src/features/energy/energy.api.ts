import {
  ENERGY_INTERVALS,
  ENERGY_UTILITIES,
  type EnergyGroupBy,
  type EnergyInterval,
  type EnergyReport,
  type EnergyUtility,
  UTILITY_METER_TYPE,
} from '@caretaker/protocol';
import { request } from '../../api/client.js';

/**
 * The hub's energy figures (hub/src/energy: GET /api/energy, `format=csv` for the download); the
 * answer's types are shared with the hub through @caretaker/protocol.
 */

export type {
  EnergyGroup,
  EnergyMover,
  EnergyPeak as Peak,
  EnergyPoint,
  EnergyReport,
  EnergyTotal,
  EnergyUsual as Usual,
} from '@caretaker/protocol';
export const UTILITIES = ENERGY_UTILITIES;
export type Utility = EnergyUtility;
export const INTERVALS = ENERGY_INTERVALS;
export type Interval = EnergyInterval;
export type GroupBy = EnergyGroupBy;
export const METER_TYPE = UTILITY_METER_TYPE;

/** What the page asks for: dates are calendar days (YYYY-MM-DD) in the site's time zone, `to` exclusive. */
export interface EnergyRequest {
  utility: Utility;
  interval: Interval;
  group_by: GroupBy;
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
