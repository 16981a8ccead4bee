import type { DeviceType, ModbusDataType, ModbusTable } from '@caretaker/protocol';
import type { PointCodec } from '../drivers/modbus/codec.js';

/**
 * The configuration after validation, defaults, environment interpolation and profile resolution:
 * what the gateway runs on. Every device carries its concrete point list, every point its own
 * decoding and acquisition settings (device defaults applied); nothing refers to a profile file
 * any more.
 */
export interface ResolvedGatewayConfig {
  site: string;
  gateway: string;
  mqtt: ResolvedMqttConfig;
  spool: ResolvedSpoolConfig;
  metrics: ResolvedMetricsConfig;
  /** Absolute folder the profiles were read from. */
  profiles_dir: string;
  /** Absolute folder for the gateway's own files (spool, OPC UA client PKI). */
  data_dir: string;
  devices: ResolvedDevice[];
}

export interface ResolvedMqttConfig {
  url: string;
  username?: string;
  password?: string;
  client_id: string;
  keepalive_s: number;
  max_inflight: number;
}

export interface ResolvedSpoolConfig {
  storage: 'sqlite' | 'memory';
  max_bytes: number;
  max_age_s: number;
  flush_interval_ms: number;
  replay_rate: number;
}

export interface ResolvedMetricsConfig {
  /** Prometheus endpoint; undefined when off. */
  listen?: { host: string; port: number };
  stats_interval_s: number;
}

/** When and how a point's values are published (its scan class and report filter). */
export interface Acquisition {
  poll_interval_ms: number;
  /** Publish only changes beyond `deadband`, and on the heartbeat. */
  report_on_change: boolean;
  deadband: number;
  /** With report_on_change: the longest silence for an unchanged value, ms (0: none). */
  heartbeat_ms: number;
}

/** A point that commands may write, and its limits. */
export interface WritablePoint {
  point: string;
  min?: number;
  max?: number;
  verify: boolean;
}

interface ResolvedDeviceBase {
  id: string;
  device_type: DeviceType;
  /** The profile the points came from, if any (for logs). */
  profile?: string;
  /** The device's base scan class; points may have their own. */
  poll_interval_ms: number;
  timeout_ms: number;
  offline_after_failures: number;
  max_backoff_ms: number;
  writable: WritablePoint[];
}

export type ModbusPointType = ModbusDataType | 'string';

/** A point as polled: where it is, plus how to decode it (the codec's fields). */
export interface ResolvedModbusPoint extends Acquisition, PointCodec {
  name: string;
  unit?: string;
  description?: string;
  table: ModbusTable;
  /** 0-based protocol address (the configured one minus `address_base`). */
  address: number;
}

export interface ResolvedOpcuaPoint extends Acquisition {
  name: string;
  unit?: string;
  description?: string;
  /** `{device}` already replaced by the device id. */
  node_id: string;
}

export type ModbusLinkConfig =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu-tcp'; host: string; port: number }
  | {
      kind: 'rtu';
      path: string;
      baud_rate: number;
      data_bits: 7 | 8;
      parity: 'none' | 'even' | 'odd';
      stop_bits: 1 | 2;
    };

export interface ResolvedModbusDevice extends ResolvedDeviceBase {
  protocol: 'modbus-tcp' | 'modbus-rtu-tcp' | 'modbus-rtu';
  /** As configured: `host:port`, or the serial device path. */
  endpoint: string;
  link: ModbusLinkConfig;
  unit_id: number;
  max_registers_per_read: number;
  max_bits_per_read: number;
  max_gap_registers: number;
  request_delay_ms: number;
  points: ResolvedModbusPoint[];
}

export interface ResolvedOpcuaDevice extends ResolvedDeviceBase {
  protocol: 'opcua';
  endpoint: string;
  mode: 'subscription' | 'poll';
  max_clock_skew_ms: number;
  points: ResolvedOpcuaPoint[];
}

export type ResolvedDevice = ResolvedModbusDevice | ResolvedOpcuaDevice;
export type DeviceProtocol = ResolvedDevice['protocol'];
