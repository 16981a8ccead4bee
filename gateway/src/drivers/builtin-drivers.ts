import {
  modbusRtuDriverFactory,
  modbusRtuTcpDriverFactory,
  modbusTcpDriverFactory,
} from './modbus/modbus.driver.js';
import { opcuaDriverFactory } from './opcua/opcua.driver.js';
import { DriverRegistry } from './registry.js';

/** Every driver shipped with the gateway (Telegraf's `plugins/inputs/all`). Add new ones here. */
export function builtinDrivers(): DriverRegistry {
  return new DriverRegistry()
    .register(modbusTcpDriverFactory)
    .register(modbusRtuTcpDriverFactory)
    .register(modbusRtuDriverFactory)
    .register(opcuaDriverFactory);
}
