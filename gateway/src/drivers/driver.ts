import type { Logger } from '@caretaker/protocol/log';
import type { ResolvedDevice } from '../config/resolved-config.js';
import type { Accumulator } from '../pipeline/accumulator.js';

/**
 * An input plugin for one device, with Telegraf's lifecycle:
 * - the constructor only assigns;
 * - `init()` validates and compiles (register maps and read plans per scan class, node ids)
 *   without I/O, and throws a `ConfigError` whose issue paths are relative to the device
 *   (`points.3`);
 * - `start()` connects (it may reject; the runner calls it again later);
 * - `gather(acc, scanClass)` reads the points of one scan class once and reports through the
 *   accumulator: a point that fails gets a bad reading; the promise rejects only when the device
 *   did not answer at all (it is then failing). It reconnects by itself if the connection was
 *   lost since the last call;
 * - `stop()` releases everything and never rejects.
 *
 * The runner never calls `gather` (or `write`/`read`) of one driver concurrently.
 */
export interface Driver {
  /** The device id. */
  readonly id: string;
  init(): void;
  /** Poll periods (ms) of the scan classes `init()` compiled, fastest first; `gather` takes an index. */
  readonly scanPeriods: readonly number[];
  start(): Promise<void>;
  gather(acc: Accumulator, scanClass: number): Promise<void>;
  stop(): Promise<void>;
  /** Writes a point's engineering value (commands). Absent when the driver cannot write. */
  write?(point: string, value: number | boolean): Promise<void>;
  /** Reads one point's current value (the read-back after a write). */
  read?(point: string): Promise<number | boolean>;
}

/** Why a request failed, for the per-device error counters. */
export type RequestErrorKind = 'timeout' | 'connection' | 'exception' | 'decode' | 'bad_status' | 'other';

/** Where a driver reports each request it makes (the gateway's metrics). */
export interface RequestRecorder {
  /** A request answered (a Modbus exception is an answer too: record it with `failure`). */
  success(rttMs: number): void;
  failure(kind: RequestErrorKind, rttMs?: number): void;
}

export const noopRecorder: RequestRecorder = {
  success: () => {},
  failure: () => {},
};

/** What the gateway gives a driver besides its device configuration. */
export interface DriverContext {
  /** Namespaced logger, e.g. `gateway:modbus:pump-1`. */
  logger: Logger;
  /** Absolute folder for driver files (for example the OPC UA client PKI). */
  dataDir: string;
  /** The clock, epoch ms: every timestamp a driver takes comes from it. */
  now?: () => number;
  /** Per-request metrics (default: none). */
  recorder?: RequestRecorder;
  /**
   * Connections shared between devices (a serial line, an RTU-over-TCP converter), by key. The
   * gateway passes one pool to all drivers; a driver constructed alone gets its own.
   */
  shared?: SharedResources;
}

/** A keyed, reference-counted pool: the first user creates a resource, the last one closes it. */
export interface SharedResources {
  acquire<T extends { close(): Promise<void> }>(key: string, create: () => T): T;
  release(key: string): Promise<void>;
}

export type DeviceOf<P extends ResolvedDevice['protocol']> = Extract<ResolvedDevice, { protocol: P }>;

/** Creates drivers for one protocol; registered in a `DriverRegistry` under that protocol name. */
export interface DriverFactory<P extends ResolvedDevice['protocol'] = ResolvedDevice['protocol']> {
  readonly protocol: P;
  /** Short name for log namespaces (`modbus` gives `gateway:modbus:<device>`). */
  readonly logName: string;
  create(device: DeviceOf<P>, context: DriverContext): Driver;
}

/**
 * The scan classes of a point list: one per distinct poll period, fastest first, each with its
 * points in configuration order.
 */
export function scanClasses<P extends { poll_interval_ms: number }>(
  points: readonly P[],
): { periodMs: number; points: P[] }[] {
  const byPeriod = new Map<number, P[]>();
  for (const point of points) {
    const list = byPeriod.get(point.poll_interval_ms) ?? [];
    list.push(point);
    byPeriod.set(point.poll_interval_ms, list);
  }
  return [...byPeriod].sort(([a], [b]) => a - b).map(([periodMs, list]) => ({ periodMs, points: list }));
}
