import type { LatestValue } from '@caretaker/protocol';

/** Readable point names: `outlet_pressure` → `Outlet pressure`. */
export function pointLabel(point: string): string {
  // `current_l1` → `Current L1`: phase names are upper case.
  const words = point.replaceAll('_', ' ').replace(/\bl([123])\b/g, 'L$1');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
// Large values are mostly counters (kWh, hours): one decimal still shows them growing.
const bigNumberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function formatValue(latest: LatestValue): string {
  const { value } = latest;
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return Math.abs(value) >= 10_000 ? bigNumberFormat.format(value) : numberFormat.format(value);
}

export function formatAge(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return new Date(ms).toLocaleString();
}

export const TYPE_LABELS: Record<string, string> = {
  pump: 'Pump',
  elevator: 'Elevator',
  power_meter: 'Power meter',
  water_meter: 'Water meter',
  gas_meter: 'Gas meter',
  other: 'Device',
};
