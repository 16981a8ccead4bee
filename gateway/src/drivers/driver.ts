import type { Logger } from '@caretaker/protocol/log';
import type { ResolvedDevice } from '../config/resolved-config.js';
import type { Accumulator } from '../pipeline/accumulator.js';

/**
 * An input plugin for one device, with Telegraf's lifecycle:
 * - the constructor only assigns;
 * - `init()` validates and compiles (register maps, node ids) without I/O, and throws a
 *   `ConfigError` whose issue paths are relative to the device (`points.3`);
 * - `start()` connects (it may reject; the poller calls it again later);
 * - `gather(acc)` reads once and reports through the accumulator: a point that fails gets a bad
 *   reading; the promise rejects only when the device did not answer at all (it is then offline).
 *   It reconnects by itself if the connection was lost since the last call;
 * - `stop()` releases everything and never rejects.
 */
export interface Driver {
  /** The device id. */
  readonly id: string;
  init(): void;
  start(): Promise<void>;
  gather(acc: Accumulator): Promise<void>;
  stop(): Promise<void>;
}

/** What the gateway gives a driver besides its device configuration. */
export interface DriverContext {
  /** Namespaced logger, e.g. `gateway:modbus:pump-1`. */
  logger: Logger;
  /** Absolute folder for driver files (for example the OPC UA client PKI). */
  dataDir: string;
}

export type DeviceOf<P extends ResolvedDevice['protocol']> = Extract<ResolvedDevice, { protocol: P }>;

/** Creates drivers for one protocol; registered in a `DriverRegistry` under that protocol name. */
export interface DriverFactory<P extends ResolvedDevice['protocol'] = ResolvedDevice['protocol']> {
  readonly protocol: P;
  /** Short name for log namespaces (`modbus` gives `gateway:modbus:<device>`). */
  readonly logName: string;
  create(device: DeviceOf<P>, context: DriverContext): Driver;
}
