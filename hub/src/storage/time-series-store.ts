import type { DeviceType, HistoryPoint, Quality } from '@caretaker/protocol';

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

export interface HistoryQuery {
  device: string;
  point: string;
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
  /** At most this many readings, oldest first. */
  limit: number;
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
  history(query: HistoryQuery): Promise<HistoryPoint[]>;
  /** Resolves if the store is reachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
