import type { CommandResponse, DeviceHealth, DeviceType, GatewayStats, Reading } from '@caretaker/protocol';

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
  /** online, degraded (online but not healthy) or offline. */
  health?: DeviceHealth;
  /** When the state changed, epoch ms. */
  ts: number;
  error?: string;
  /** Text values of the device (string points): serial number, firmware version. */
  attributes?: Record<string, string>;
}

/** A command for a device, as received (the command service validates it). */
export type CommandHandler = (device: string, payload: Buffer) => void;

/**
 * A sink for what the sources collect (Telegraf's output plugin). Started before any driver and
 * stopped after all of them. Writes never block the pollers and never throw: an output that
 * cannot deliver buffers or drops, and says so in its logs.
 *
 * The optional members are for outputs that can carry them (MQTT): gateway statistics, and the
 * inbound command channel with its responses.
 */
export interface Output {
  start(): Promise<void>;
  writeTelemetry(record: TelemetryRecord): void;
  writeDeviceStatus(record: DeviceStatusRecord): void;
  writeStats?(stats: GatewayStats): void;
  writeCommandResponse?(response: CommandResponse): void;
  setCommandHandler?(handler: CommandHandler): void;
  stop(): Promise<void>;
}
