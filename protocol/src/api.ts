import type { DeviceType } from './ids.js';
import type { Quality, ReadingValue } from './payloads.js';

/** REST response bodies served by the hub under `/api`. */

export type DeviceState = 'online' | 'offline' | 'unknown';

export interface LatestValue {
  value: ReadingValue;
  ts: number;
  quality: Quality;
  unit?: string;
}

export interface DeviceSummary {
  id: string;
  site: string;
  gateway: string;
  type: DeviceType;
  status: DeviceState;
  /** When the status last changed, epoch ms. */
  status_since: number;
  /** When the hub last received telemetry for the device, epoch ms (null if never). */
  last_seen: number | null;
  /** Why the device is offline, as the gateway reported it. */
  error?: string;
  latest: Record<string, LatestValue>;
}

export interface DevicesResponse {
  devices: DeviceSummary[];
}

export interface HistoryPoint {
  ts: number;
  value: number | null;
  quality: Quality;
}

export interface ReadingsResponse {
  device_id: string;
  point: string;
  from: number;
  to: number;
  readings: HistoryPoint[];
}

export interface HealthResponse {
  status: 'ok' | 'degraded';
  uptime_s: number;
  store: { kind: string; ok: boolean; error?: string };
  broker: { mode: 'embedded' | 'external'; connected: boolean };
  ingest: { accepted_batches: number; accepted_readings: number; rejected: number; missing_batches: number };
  /** Readings acknowledged but not yet in the store; dropped ones went past the journal's bound. */
  journal: { pending_readings: number; dropped_readings: number; store_down: boolean; last_error: string | null };
}

export interface ErrorResponse {
  error: string;
}

/** REST paths, so that the dashboard and tests never spell them by hand. */
export const apiPaths = {
  devices: '/api/devices',
  readings: (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/readings`,
  health: '/healthz',
} as const;
