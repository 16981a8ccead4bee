/**
 * @caretaker/gateway: the edge agent that polls Modbus/TCP and OPC UA devices and publishes their
 * readings to MQTT. `main.ts` is the command line; this is the programmatic entry point.
 */

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
  DeviceProtocol,
  ResolvedDevice,
  ResolvedGatewayConfig,
  ResolvedModbusDevice,
  ResolvedMqttConfig,
  ResolvedOpcuaDevice,
} from './config/resolved-config.js';
export { builtinDrivers } from './drivers/builtin-drivers.js';
export type { Driver, DriverContext, DriverFactory } from './drivers/driver.js';
export { DriverRegistry } from './drivers/registry.js';
export { GATEWAY_VERSION, Gateway, type GatewayOptions, startGateway } from './gateway.js';
export { MqttOutput, type MqttOutputOptions } from './outputs/mqtt.output.js';
export type { DeviceStatusRecord, Output, TelemetryRecord } from './outputs/output.js';
export type { Accumulator, PointRef } from './pipeline/accumulator.js';
