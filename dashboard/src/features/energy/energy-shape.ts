import {
  type AssetsResponse,
  type DeviceSummary,
  ENERGY_INTERVALS,
  ENERGY_UTILITIES,
  type EnergyGroupBy,
  type EnergyInterval,
  type EnergyUtility,
  UTILITY_METER_TYPE,
} from '@caretaker/protocol';
import type { EnergyRequest } from './energy.api.js';

/** Pure helpers of the energy page (tested without a browser): the URL's filters and the scope. */

export const PRESETS = [
  'today',
  'yesterday',
  '7d',
  '30d',
  'this_month',
  'last_month',
  '12m',
  'custom',
] as const;
export type Preset = (typeof PRESETS)[number];

/** The interval each preset shows unless the user picks another. */
export const PRESET_INTERVAL: Record<Preset, EnergyInterval> = {
  today: 'hour',
  yesterday: 'hour',
  '7d': 'day',
  '30d': 'day',
  this_month: 'day',
  last_month: 'day',
  '12m': 'month',
  custom: 'day',
};

/** A calendar day as the hub reads it (YYYY-MM-DD); the wire format, not for display. */
export function isoDay(date: Date): string {
  const y = String(date.getFullYear()).padStart(4, '0');
  const m = String(date.getMonth() + 1).padStart(2, '0');
  const d = String(date.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

function day(today: Date, days: number, months = 0, firstOfMonth = false): string {
  return isoDay(
    new Date(today.getFullYear(), today.getMonth() + months, firstOfMonth ? 1 : today.getDate() + days),
  );
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** [from, to) of a preset as calendar days, `to` exclusive; custom: the chosen days, the last one included. */
export function presetDays(
  preset: Preset,
  today: Date,
  custom: { from?: string | null; to?: string | null } = {},
): { from: string; to: string } {
  switch (preset) {
    case 'today':
      return { from: day(today, 0), to: day(today, 1) };
    case 'yesterday':
      return { from: day(today, -1), to: day(today, 0) };
    case '7d':
      return { from: day(today, -6), to: day(today, 1) };
    case '30d':
      return { from: day(today, -29), to: day(today, 1) };
    case 'this_month':
      return { from: day(today, 0, 0, true), to: day(today, 0, 1, true) };
    case 'last_month':
      return { from: day(today, 0, -1, true), to: day(today, 0, 0, true) };
    case '12m':
      return { from: day(today, 0, -11, true), to: day(today, 0, 1, true) };
    case 'custom': {
      const from = custom.from && DAY_PATTERN.test(custom.from) ? custom.from : day(today, -6);
      const last = custom.to && DAY_PATTERN.test(custom.to) ? custom.to : day(today, 0);
      const [y, m, d] = (last < from ? from : last).split('-').map(Number);
      return { from, to: isoDay(new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + 1)) };
    }
  }
}

/** The filters the URL holds, each checked (an unknown value falls back to the default). */
export interface Filters {
  utility: EnergyUtility;
  preset: Preset;
  interval: EnergyInterval;
  from: string | null;
  to: string | null;
  site: string | null;
  building: string | null;
  meter: string | null;
}

export function parseFilters(params: URLSearchParams): Filters {
  const pick = <T extends string>(values: readonly T[], raw: string | null, fallback: T): T =>
    raw !== null && (values as readonly string[]).includes(raw) ? (raw as T) : fallback;
  const preset = pick(PRESETS, params.get('range'), '7d');
  return {
    utility: pick(ENERGY_UTILITIES, params.get('utility'), 'electricity'),
    preset,
    interval: pick(ENERGY_INTERVALS, params.get('interval'), PRESET_INTERVAL[preset]),
    from: params.get('from'),
    to: params.get('to'),
    site: params.get('site'),
    building: params.get('building'),
    meter: params.get('meter'),
  };
}

/** One level finer than the scope: all sites by site, a site by building, a building by meter. */
export function groupByOf(filters: Pick<Filters, 'site' | 'building' | 'meter'>): EnergyGroupBy {
  if (filters.meter || filters.building) return 'meter';
  return filters.site ? 'building' : 'site';
}

export function requestOf(filters: Filters, today: Date): EnergyRequest {
  const { from, to } = presetDays(filters.preset, today, filters);
  return {
    utility: filters.utility,
    interval: filters.interval,
    group_by: groupByOf(filters),
    from,
    to,
    site: filters.site ?? undefined,
    building: filters.site ? (filters.building ?? undefined) : undefined,
    meter: filters.meter ?? undefined,
  };
}

export interface ScopeOption {
  id: string;
  name: string;
}

/** Sites, a site's buildings and the meters of the utility in the chosen site or building. */
export function scopeOptions(
  assets: AssetsResponse,
  devices: readonly DeviceSummary[],
  utility: EnergyUtility,
  site: string | null,
  building: string | null,
): { sites: ScopeOption[]; buildings: ScopeOption[]; meters: ScopeOption[] } {
  const sites = assets.sites.map((s) => ({ id: s.id, name: s.name ?? s.id }));
  // Sites the hub only knows from telemetry (no assets file) are offered too.
  for (const d of devices) if (!sites.some((s) => s.id === d.site)) sites.push({ id: d.site, name: d.site });
  const inSite = assets.sites.find((s) => s.id === site);
  const buildings = (inSite?.buildings ?? []).map((b) => ({ id: b.id, name: b.name ?? b.id }));
  const placed = new Map<string, string>();
  for (const b of inSite?.buildings ?? []) {
    for (const id of [...b.devices, ...b.rooms.flatMap((r) => r.devices)]) placed.set(id, b.id);
  }
  const meters = devices
    .filter(
      (d) =>
        d.type === UTILITY_METER_TYPE[utility] &&
        (!site || d.site === site) &&
        (!building || placed.get(d.id) === building),
    )
    .map((d) => ({ id: d.id, name: d.id }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return { sites: sites.sort((a, b) => a.name.localeCompare(b.name)), buildings, meters };
}

export type Direction = 'up' | 'down' | 'same' | 'new';

/** Which way a total moved: `new` when there was nothing before to compare with. */
export function directionOf(total: { change: number; change_pct: number | null; value: number }): Direction {
  if (total.change === 0) return 'same';
  if (total.change_pct === null) return total.value > 0 ? 'new' : 'down';
  return total.change > 0 ? 'up' : 'down';
}

/** uPlot's columns: x (the period's index), this range, the previous, usual low, high and median. */
export function chartColumns(
  series: ReadonlyArray<{
    start: number;
    value: number | null;
    previous: number | null;
    usual?: { median: number; low: number; high: number } | null;
  }>,
): [
  number[],
  Array<number | null>,
  Array<number | null>,
  Array<number | null>,
  Array<number | null>,
  Array<number | null>,
] {
  return [
    series.map((_, i) => i),
    series.map((p) => p.value),
    series.map((p) => p.previous),
    series.map((p) => p.usual?.low ?? null),
    series.map((p) => p.usual?.high ?? null),
    series.map((p) => p.usual?.median ?? null),
  ];
}
