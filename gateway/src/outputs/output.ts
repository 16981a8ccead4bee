import type { DeviceType, Reading } from '@caretaker/protocol';

/** One poll's readings of one device, before the output stamps version, sequence and time. */
export interface TelemetryRecord {
  device: string;
  device_type: DeviceType;
  readings: Reading[];
}

export interface DeviceStatusRecord {
  device: string;
  device_type: DeviceType;
  state: 'online' | 'offline';
  /** When the state changed, epoch ms. */
  ts: number;
  error?: string;
}

/**
 * A sink for what the sources collect (Telegraf's output plugin). Started before any driver and
 * stopped after all of them. Writes never block the pollers and never throw: an output that
 * cannot deliver buffers or drops, and says so in its logs.
 */
export interface Output {
  start(): Promise<void>;
  writeTelemetry(record: TelemetryRecord): void;
  writeDeviceStatus(record: DeviceStatusRecord): void;
  stop(): Promise<void>;
}
