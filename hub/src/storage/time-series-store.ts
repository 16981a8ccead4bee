import type { DeviceType, HealthCheck, HistoryPoint, Quality } from '@caretaker/protocol';

/** One reading as the hub stores it: booleans become 1/0, a bad reading keeps a null value. */
export interface StoredReading {
  site: string;
  gateway: string;
  device: string;
  device_type: DeviceType;
  point: string;
  ts: number;
  value: number | null;
  quality: Quality;
}

/**
 * One device's readings as a telemetry batch brings them, what they share named once: ingest hands
 * them on as they are, so no object per reading is made on the way to the store.
 */
export interface DeviceReadings {
  site: string;
  gateway: string;
  device: string;
  device_type: DeviceType;
  /** A boolean is stored as 1/0, like StoredReading's value. */
  readings: ReadonlyArray<{ point: string; ts: number; value: number | boolean | null; quality: Quality }>;
}

/** Readings to store: loose ones (replays, tests) or one device's batch. */
export type ReadingsToStore = readonly StoredReading[] | DeviceReadings;

export function readingCount(input: ReadingsToStore): number {
  return isDeviceReadings(input) ? input.readings.length : input.length;
}

export function isDeviceReadings(input: ReadingsToStore): input is DeviceReadings {
  return !Array.isArray(input);
}

/** The stored value of a reading: booleans become 1/0. */
export function storedValue(value: number | boolean | null): number | null {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** One object per reading, for the code that wants them so (the journal's replay, InfluxDB). */
export function toStoredReadings(input: ReadingsToStore): readonly StoredReading[] {
  if (!isDeviceReadings(input)) return input;
  const { site, gateway, device, device_type } = input;
  return input.readings.map((r) => ({
    site,
    gateway,
    device,
    device_type,
    point: r.point,
    ts: r.ts,
    value: storedValue(r.value),
    quality: r.quality,
  }));
}

export interface HistoryQuery {
  device: string;
  point: string;
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
  /** At most this many readings, oldest first. */
  limit: number;
}

export interface AggregateQuery {
  device: string;
  point: string;
  from: number;
  to: number;
  /** Bucket width in ms; buckets start at `from`. */
  bucketMs: number;
}

/** One bucket of a downsampled series; buckets without readings are left out. */
export interface AggregateBucket {
  ts: number;
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** A cumulative counter's values in one bucket, for energy from meter counters. */
export interface CounterBucket {
  ts: number;
  first: number;
  last: number;
  min: number;
  max: number;
}

/** One series of a store: a device's point. */
export interface SeriesRef {
  device: string;
  point: string;
}

/**
 * Coincident peaks: for each group of series, the bucket where the sum of its series' means is
 * highest (buckets of `bucketMs` from `from` to `to` inclusive, as `aggregate` cuts them).
 */
export interface PeaksQuery {
  /** Disjoint groups; each group's means are added in its order. */
  groups: ReadonlyArray<ReadonlyArray<SeriesRef>>;
  /** Every series of the groups, in the order their means are added for the peak of them all. */
  all: readonly SeriesRef[];
  from: number;
  to: number;
  bucketMs: number;
}

/** A peak: the bucket's start and the sum of the means. */
export interface Peak {
  ts: number;
  value: number;
}

/**
 * What `aggregate` of each series followed by adding the means bucket by bucket would give: a
 * series without good readings in a bucket adds nothing, the earliest of equal sums wins; null
 * for a group without readings.
 */
export interface PeaksAnswer {
  groups: Array<Peak | null>;
  all: Peak | null;
}

export interface LatestReading {
  point: string;
  ts: number;
  value: number | null;
  quality: Quality;
}

/** A device the store has readings of, as its newest reading names it, and each point's newest. */
export interface StoredDevice {
  site: string;
  gateway: string;
  device: string;
  device_type: DeviceType;
  /** By point name. */
  latest: LatestReading[];
}

/**
 * Merges per-series newest readings (one row per series, as a store groups them) into devices:
 * the newest reading of each point, and the site, gateway and type of the device's newest reading
 * (a device that moved keeps older series under its old tags).
 */
export function devicesFromSeries(
  rows: ReadonlyArray<Omit<StoredDevice, 'latest'> & LatestReading>,
): StoredDevice[] {
  const devices = new Map<string, StoredDevice & { newest: number }>();
  for (const { site, gateway, device, device_type, ...reading } of rows) {
    let entry = devices.get(device);
    if (!entry) {
      entry = { site, gateway, device, device_type, latest: [], newest: Number.NEGATIVE_INFINITY };
      devices.set(device, entry);
    }
    if (reading.ts > entry.newest) Object.assign(entry, { site, gateway, device_type, newest: reading.ts });
    const same = entry.latest.findIndex((r) => r.point === reading.point);
    if (same === -1) entry.latest.push(reading);
    else if ((entry.latest[same] as LatestReading).ts < reading.ts) entry.latest[same] = reading;
  }
  return [...devices.values()]
    .sort((a, b) => a.device.localeCompare(b.device))
    .map(({ newest: _newest, ...device }) => ({
      ...device,
      latest: device.latest.sort((a, b) => a.point.localeCompare(b.point)),
    }));
}

/**
 * Where readings live. Every implementation passes the same contract suite
 * (time-series-store.contract.ts). Writing the same series and timestamp twice keeps one
 * reading, so replays and duplicates are harmless.
 */
export interface TimeSeriesStore {
  /** `sqlite`, `influxdb-v1`, `influxdb-v2`, `influxdb-v3`. */
  readonly kind: string;
  /** Connects, creates the schema/database if missing. */
  init(): Promise<void>;
  write(readings: readonly StoredReading[]): Promise<void>;
  /**
   * For an embedded store that is itself durable once the write resolves (SQLite), so the
   * journal can hand readings straight to it instead of keeping a copy.
   */
  writeDurably?(readings: ReadingsToStore): Promise<void>;
  history(query: HistoryQuery): Promise<HistoryPoint[]>;
  /** mean/min/max/count per bucket of good values, oldest first. */
  aggregate(query: AggregateQuery): Promise<AggregateBucket[]>;
  /** first/last/min/max per bucket of a counter's good values, oldest first. */
  counterBuckets(query: AggregateQuery): Promise<CounterBucket[]>;
  /**
   * Coincident peaks computed by the store itself, where it can do better than every bucket of
   * every series read out (peak demand over a year); undefined when it cannot answer this query
   * (the caller then reads the buckets with `aggregate`).
   */
  peaks?(query: PeaksQuery): Promise<PeaksAnswer | undefined>;
  /** The newest reading of each point of a device. */
  latest(device: string): Promise<LatestReading[]>;
  /** Every device with readings and the newest reading of each of its points (a restart's board). */
  latestAll(): Promise<StoredDevice[]>;
  /** Resolves if the store is reachable. */
  ping(): Promise<void>;
  /** The store's own checks for /healthz, by name (a store that keeps summaries: their state). */
  checks?(): Record<string, HealthCheck>;
  close(): Promise<void>;
}
