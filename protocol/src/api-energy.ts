import type { EnergyInterval } from './api.js';
import type { DeviceType } from './ids.js';

/** The energy figures as the hub serves them (GET /api/energy; `format=csv` for the download). */

export const ENERGY_UTILITIES = ['electricity', 'water', 'gas'] as const;
export type EnergyUtility = (typeof ENERGY_UTILITIES)[number];
/** The meter type each utility is read from. */
export const UTILITY_METER_TYPE = {
  electricity: 'power_meter',
  water: 'water_meter',
  gas: 'gas_meter',
} as const satisfies Record<EnergyUtility, DeviceType>;
export const ENERGY_GROUP_BY = ['site', 'building', 'meter'] as const;
export type EnergyGroupBy = (typeof ENERGY_GROUP_BY)[number];

export interface EnergyUsual {
  /** The median of the same hour of the week over the earlier weeks that have data. */
  median: number;
  low: number;
  high: number;
  /** How many earlier weeks it is taken from (at most four). */
  weeks: number;
}

export interface EnergyPeak {
  /** The highest mean power over a demand window (kW), summed over the meters. */
  value: number;
  /** When that window began. */
  at: number;
}

export interface EnergyPoint {
  start: number;
  end: number;
  /** Consumption in the period; null for a period that has not begun. */
  value: number | null;
  /** The period at the same place of the previous range. */
  previous_start: number | null;
  previous: number | null;
  /** Hourly views: the usual for this hour of the week. */
  usual?: EnergyUsual | null;
}

export interface EnergyTotal {
  value: number;
  /** The whole previous range. */
  previous: number;
  /** The previous range up to the same point as this one (equal to `previous` once this one is over). */
  previous_same_time: number;
  change: number;
  /** In percent of previous_same_time; null when that was 0. */
  change_pct: number | null;
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
  /** Electricity: the highest 15-minute mean active power, this range and the previous. */
  peak: EnergyPeak | null;
  previous_peak: EnergyPeak | null;
}

export interface EnergyMover extends EnergyTotal {
  meter: string;
  site: string;
  building: string | null;
  /** Names from the assets file (the ids when it has none). */
  site_name: string;
  building_name: string | null;
}

/** GET /api/energy. */
export interface EnergyReport {
  utility: EnergyUtility;
  unit: string;
  /** Peak demand's unit (electricity). */
  demand_unit: string | null;
  interval: EnergyInterval;
  group_by: EnergyGroupBy;
  tz: string;
  from: number;
  to: number;
  previous_from: number;
  previous_to: number;
  as_of: number;
  /** Every meter in scope together. */
  overall: EnergyGroup;
  groups: EnergyGroup[];
  /** Meters by the size of their change against the same time of the previous range. */
  movers: EnergyMover[];
}
