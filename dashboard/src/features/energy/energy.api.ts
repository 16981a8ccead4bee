import { request } from '../../api/client.js';

/** The hub's energy figures (hub/src/energy: GET /api/energy, `format=csv` for the download). */

export const UTILITIES = ['electricity', 'water', 'gas'] as const;
export type Utility = (typeof UTILITIES)[number];
export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];
export type GroupBy = 'site' | 'building' | 'meter';

/** The meter type each utility is read from. */
export const METER_TYPE: Record<Utility, string> = {
  electricity: 'power_meter',
  water: 'water_meter',
  gas: 'gas_meter',
};

export interface Usual {
  median: number;
  low: number;
  high: number;
  weeks: number;
}

export interface EnergyPoint {
  start: number;
  end: number;
  value: number | null;
  previous_start: number | null;
  previous: number | null;
  usual?: Usual | null;
}

export interface EnergyTotal {
  value: number;
  previous: number;
  previous_same_time: number;
  change: number;
  change_pct: number | null;
}

export interface Peak {
  value: number;
  at: number;
}

export interface EnergyGroup {
  key: string;
  site: string | null;
  building: string | null;
  meter: string | null;
  name: string;
  meters: string[];
  series: EnergyPoint[];
  total: EnergyTotal;
  peak: Peak | null;
  previous_peak: Peak | null;
}

export interface EnergyMover extends EnergyTotal {
  meter: string;
  site: string;
  building: string | null;
  site_name: string;
  building_name: string | null;
}

export interface EnergyReport {
  utility: Utility;
  unit: string;
  demand_unit: string | null;
  interval: Interval;
  group_by: GroupBy;
  tz: string;
  from: number;
  to: number;
  previous_from: number;
  previous_to: number;
  as_of: number;
  overall: EnergyGroup;
  groups: EnergyGroup[];
  movers: EnergyMover[];
}

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
