import { modbusTcpDriverFactory } from './modbus/modbus-tcp.driver.js';
import { opcuaDriverFactory } from './opcua/opcua.driver.js';
import { DriverRegistry } from './registry.js';

/** Every driver shipped with the gateway (Telegraf's `plugins/inputs/all`). Add new ones here. */
export function builtinDrivers(): DriverRegistry {
  return new DriverRegistry().register(modbusTcpDriverFactory).register(opcuaDriverFactory);
}
