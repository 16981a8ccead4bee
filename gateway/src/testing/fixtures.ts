import type {
  Acquisition,
  ModbusLinkConfig,
  ResolvedModbusDevice,
  ResolvedModbusPoint,
  ResolvedOpcuaDevice,
  ResolvedOpcuaPoint,
} from '../config/resolved-config.js';

/** Resolved configurations for driver and runner tests (what `resolveGatewayConfig` would give). */

export const acquisition = (extra: Partial<Acquisition> = {}): Acquisition => ({
  poll_interval_ms: 1000,
  report_on_change: false,
  deadband: 0,
  heartbeat_ms: 0,
  ...extra,
});

export function modbusPoint(
  name: string,
  address: number,
  type: ResolvedModbusPoint['type'] = 'uint16',
  extra: Partial<ResolvedModbusPoint> = {},
): ResolvedModbusPoint {
  return {
    name,
    table: 'holding',
    address,
    type,
    word_order: 'big',
    byte_order: 'big',
    ...acquisition(),
    ...extra,
  };
}

/** A Modbus/TCP device at `endpoint` (`host:port`), or RTU/RTU over TCP with `link`. */
export function modbusDevice(
  endpoint: string,
  points: ResolvedModbusPoint[],
  overrides: Partial<ResolvedModbusDevice> = {},
): ResolvedModbusDevice {
  const [host = '', port = '0'] = endpoint.split(':');
  const link: ModbusLinkConfig = { kind: 'tcp', host, port: Number(port) };
  return {
    id: 'pump-1',
    device_type: 'pump',
    protocol: 'modbus-tcp',
    endpoint,
    link,
    unit_id: 1,
    poll_interval_ms: 1000,
    timeout_ms: 500,
    offline_after_failures: 2,
    max_backoff_ms: 4000,
    writable: [],
    max_registers_per_read: 125,
    max_bits_per_read: 2000,
    max_gap_registers: 10,
    request_delay_ms: 0,
    points,
    ...overrides,
  };
}

export const opcuaPoint = (name: string, extra: Partial<ResolvedOpcuaPoint> = {}): ResolvedOpcuaPoint => ({
  name,
  node_id: `ns=1;s=elevator-1.${name}`,
  ...acquisition(),
  ...extra,
});

export function opcuaDevice(
  endpoint: string,
  points: ResolvedOpcuaPoint[],
  overrides: Partial<ResolvedOpcuaDevice> = {},
): ResolvedOpcuaDevice {
  return {
    id: 'elevator-1',
    device_type: 'elevator',
    protocol: 'opcua',
    endpoint,
    mode: 'poll',
    max_clock_skew_ms: 5000,
    poll_interval_ms: 1000,
    timeout_ms: 1000,
    offline_after_failures: 2,
    max_backoff_ms: 4000,
    writable: [],
    points,
    ...overrides,
  };
}
