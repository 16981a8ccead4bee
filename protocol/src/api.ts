import type { DeviceType } from './ids.js';
import type { Quality, ReadingValue } from './payloads.js';

/** REST response bodies served by the hub under `/api`. */

/**
 * online: reporting; stale: no telemetry for 3 poll intervals while nothing said it went
 * offline; offline: its gateway said so (or the gateway's Last Will); unknown: never heard.
 */
export type DeviceState = 'online' | 'stale' | 'offline' | 'unknown';

export interface LatestValue {
  value: ReadingValue;
  ts: number;
  quality: Quality;
  unit?: string;
  /** True when the point has not been refreshed for 3 of its device's poll intervals. */
  stale?: boolean;
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
  /** The device's reporting interval as the hub observes it, ms (null until known). */
  interval_ms: number | null;
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

export interface SeriesBucket {
  /** Bucket start, epoch ms. */
  ts: number;
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** A point's history downsampled by the store to at most `buckets` buckets. */
export interface SeriesResponse {
  device_id: string;
  point: string;
  from: number;
  to: number;
  bucket_ms: number;
  buckets: SeriesBucket[];
}

export type EnergyInterval = 'hour' | 'day' | 'week' | 'month';

/** Consumption per calendar period from a cumulative counter (counter resets handled). */
export interface EnergyResponse {
  device_id: string;
  point: string;
  interval: EnergyInterval;
  tz: string;
  unit?: string;
  periods: Array<{ start: number; end: number; value: number }>;
}

export interface GatewaySummary {
  site: string;
  gateway: string;
  status: DeviceState;
  status_since: number;
  /** The highest batch sequence number received. */
  last_seq: number | null;
  /** Batches never received (holes in the sequence). */
  missing_batches: number;
}

export interface GatewaysResponse {
  gateways: GatewaySummary[];
}

export interface HealthResponse {
  status: 'ok' | 'degraded';
  uptime_s: number;
  store: { kind: string; ok: boolean; error?: string };
  broker: { mode: 'embedded' | 'external'; connected: boolean };
  ingest: { accepted_batches: number; accepted_readings: number; rejected: number; missing_batches: number };
  /** Readings acknowledged but not yet in the store; dropped ones went past the journal's bound. */
  journal: {
    pending_readings: number;
    dropped_readings: number;
    store_down: boolean;
    last_error: string | null;
  };
}

export interface ErrorResponse {
  error: string;
}

/** REST paths, so that the dashboard and tests never spell them by hand. */
export const apiPaths = {
  devices: '/api/devices',
  readings: (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/readings`,
  series: (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/series`,
  energy: (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/energy`,
  gateways: '/api/gateways',
  health: '/healthz',
} as const;
