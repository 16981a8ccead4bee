import type { ByteOrder, DeviceType, ModbusPoint, OpcuaPoint } from '@caretaker/protocol';

/**
 * The configuration after validation, defaults, environment interpolation and profile resolution:
 * what the gateway runs on. Every device carries its concrete point list; nothing refers to a
 * profile file any more.
 */
export interface ResolvedGatewayConfig {
  site: string;
  gateway: string;
  mqtt: ResolvedMqttConfig;
  /** Absolute folder the profiles were read from. */
  profiles_dir: string;
  /** Absolute folder for the gateway's own files (OPC UA client PKI). */
  data_dir: string;
  devices: ResolvedDevice[];
}

export interface ResolvedMqttConfig {
  url: string;
  username?: string;
  password?: string;
  client_id: string;
  keepalive_s: number;
  max_queued_messages: number;
}

interface ResolvedDeviceBase {
  id: string;
  device_type: DeviceType;
  /** The profile the points came from, if any (for logs). */
  profile?: string;
  poll_interval_ms: number;
  timeout_ms: number;
}

export interface ResolvedModbusDevice extends ResolvedDeviceBase {
  protocol: 'modbus-tcp';
  /** `host:port` as configured. */
  endpoint: string;
  host: string;
  port: number;
  unit_id: number;
  /** Device defaults for multi-register values; a point's own setting wins. */
  word_order: ByteOrder;
  byte_order: ByteOrder;
  points: ModbusPoint[];
}

export interface ResolvedOpcuaDevice extends ResolvedDeviceBase {
  protocol: 'opcua';
  endpoint: string;
  /** `{device}` in node ids is already replaced by the device id. */
  points: OpcuaPoint[];
}

export type ResolvedDevice = ResolvedModbusDevice | ResolvedOpcuaDevice;
export type DeviceProtocol = ResolvedDevice['protocol'];
