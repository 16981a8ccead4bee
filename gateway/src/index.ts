/**
 * @caretaker/gateway: the edge agent that polls Modbus (TCP, RTU over TCP, RTU) and OPC UA devices
 * and publishes their readings to MQTT through a store-and-forward spool. `main.ts` is the command
 * line; this is the programmatic entry point.
 */

export { CommandService, type CommandTarget } from './commands/command.service.js';
export type { GatewayConfig, GatewayConfigInput } from './config/config.schema.js';
export { gatewayConfigSchema } from './config/config.schema.js';
export { ConfigError, type ConfigIssue } from './config/config-error.js';
export {
  DEFAULT_PROFILES_DIR,
  loadGatewayConfig,
  type ResolveOptions,
  resolveGatewayConfig,
} from './config/load-config.js';
export type {
  Acquisition,
  DeviceProtocol,
  ModbusLinkConfig,
  ResolvedDevice,
  ResolvedGatewayConfig,
  ResolvedModbusDevice,
  ResolvedModbusPoint,
  ResolvedMqttConfig,
  ResolvedOpcuaDevice,
  ResolvedOpcuaPoint,
  ResolvedSpoolConfig,
  WritablePoint,
} from './config/resolved-config.js';
export { builtinDrivers } from './drivers/builtin-drivers.js';
export type { Driver, DriverContext, DriverFactory, RequestRecorder } from './drivers/driver.js';
export { minimumReads, planReads } from './drivers/modbus/request-plan.js';
export { DriverRegistry } from './drivers/registry.js';
export {
  GATEWAY_VERSION,
  Gateway,
  type GatewayOptions,
  openSpool,
  type ReloadResult,
  startGateway,
} from './gateway.js';
export { GatewayMetrics } from './metrics/gateway-metrics.js';
export { MqttOutput, type MqttOutputOptions } from './outputs/mqtt.output.js';
export type { DeviceStatusRecord, Output, TelemetryRecord } from './outputs/output.js';
export type { Accumulator, PointRef } from './pipeline/accumulator.js';
export { MemorySpool } from './spool/memory.spool.js';
export type { Spool, SpoolEntry } from './spool/spool.js';
export { SqliteSpool } from './spool/sqlite.spool.js';
