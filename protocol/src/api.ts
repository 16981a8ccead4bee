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

export const ENERGY_INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type EnergyInterval = (typeof ENERGY_INTERVALS)[number];

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

/** One part's own check on /healthz: not ok makes the whole hub degraded. */
export interface HealthCheck {
  ok: boolean;
  /** What the part is doing (the store's summaries: ready, building, failing). */
  state: string;
  /** The latest error while not ok. */
  error: string | null;
  /** Epoch ms: when it stopped being ok. */
  since: number | null;
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
  /** Named checks of the parts that have them (`store_summaries`: the SQLite store's summaries). */
  checks?: Record<string, HealthCheck>;
}

export type AlarmSeverity = 'info' | 'warning' | 'major' | 'critical';
/** Lists show active, clearing and recently cleared alarms (pending ones are not yet alarms). */
export type AlarmPhase = 'pending' | 'active' | 'clearing' | 'cleared';

/** One comparison of a rule, as the alarm's evidence carries it (`clear`: the hysteresis value). */
export interface AlarmComparison {
  point?: string;
  op: string;
  value: number;
  clear?: number;
}

/** What the alarm engine recorded: the rule and its limits, the values, a predicted time to the limit. */
export interface AlarmDetail {
  rule?: {
    id: string;
    title: string;
    severity: AlarmSeverity;
    when?: AlarmComparison[];
    trend?: { point: string; limit?: number; [key: string]: unknown };
  };
  time_to_limit_ms?: number | null;
  [key: string]: unknown;
}

/** One incident (site / device / rule) as GET /api/alarms lists it. */
export interface AlarmSummary {
  id: number;
  incident_key: string;
  site: string;
  /** Null for an alarm of a whole gateway (communication loss). */
  device: string | null;
  gateway: string | null;
  rule_id: string;
  title: string;
  state: AlarmPhase;
  severity: AlarmSeverity;
  first_raised_at: number | null;
  raised_at: number | null;
  clearing_since: number | null;
  cleared_at: number | null;
  occurrences: number;
  flapping: number;
  root_alarm_id: number | null;
  silenced: string | null;
  detail: AlarmDetail;
  /** Who acknowledged this raise of the alarm (a re-raise must be acknowledged again); null: nobody yet. */
  acknowledged: AlarmAcknowledgement | null;
}

/** A person's acknowledgement of one raise (occurrence) of an alarm. */
export interface AlarmAcknowledgement {
  /** User name. */
  by: string;
  /** Display name when acknowledged (the user name if none). */
  by_name: string;
  at: number;
  /** The alarm's `occurrences` when acknowledged. */
  occurrence: number;
}

/** POST /api/alarms/:id/acknowledge: the alarm with its acknowledgement (the first one stands). */
export interface AcknowledgeResponse {
  alarm: AlarmSummary;
}

/** A trend rule's latest prediction for a device (GET /api/devices/:id/predictions). */
export interface TrendPrediction {
  rule_id: string;
  title: string;
  point: string;
  /** The limit the line heads for, and from which side it is approached. */
  limit: number;
  direction: 'rising' | 'falling';
  /** The rule raises when the limit is predicted within this time. */
  horizon_ms: number;
  /** Predicted time until the point reaches the limit from `at`; null: not heading to it (or not enough data). */
  time_to_limit_ms: number | null;
  /** The fitted slope, in the point's unit per hour (null until fitted). */
  slope_per_hour: number | null;
  /** When the prediction was made (the latest reading judged), epoch ms; null before any reading. */
  at: number | null;
}

/** One alarm rule as GET /api/rules shows it: what it watches and its limits (the device page draws them). */
export interface RuleSummary {
  id: string;
  device_type: string;
  title: string;
  severity: AlarmSeverity;
  problem_type: string;
  /** Conditions that raise it, all together (`expr` for one across points). */
  when?: Array<AlarmComparison & { expr?: string }>;
  trend?: {
    point: string;
    direction: 'rising' | 'falling';
    limit: number;
    window_ms: number;
    horizon_ms: number;
  };
  anomaly?: { points: string[] };
  /** A higher severity in place while these hold. */
  escalate: Array<{ severity: AlarmSeverity; when: Array<AlarmComparison & { expr?: string }> }>;
}

export interface RulesResponse {
  rules: RuleSummary[];
}

export interface PredictionsResponse {
  device_id: string;
  predictions: TrendPrediction[];
}

export interface AlarmsResponse {
  alarms: AlarmSummary[];
}

/** Sites, their buildings and the devices in each (the hub's assets file), as the actor may see them. */
export interface AssetsResponse {
  sites: Array<{
    id: string;
    name?: string;
    buildings: Array<{
      id: string;
      name?: string;
      /** Devices directly in the building (not in a room). */
      devices: string[];
      rooms: Array<{ id: string; name?: string; devices: string[] }>;
    }>;
  }>;
}

export interface LoginRequest {
  username: string;
  password: string;
}

/** GET /api/auth/me: who is signed in, their sites and what their role may do. */
export interface MeResponse {
  username: string;
  display_name: string;
  role: string;
  sites: string[] | 'all';
  permissions: string[];
}

export interface LoginResponse extends MeResponse {
  expires_at: number;
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
  alarms: '/api/alarms',
  acknowledge: (alarmId: number) => `/api/alarms/${alarmId}/acknowledge`,
  rules: '/api/rules',
  predictions: (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/predictions`,
  qr: (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/qr.svg`,
  assets: '/api/assets',
  login: '/api/auth/login',
  logout: '/api/auth/logout',
  me: '/api/auth/me',
  health: '/healthz',
} as const;
