import type { ResolvedDevice } from '../config/resolved-config.js';
import type { DeviceOf, Driver, DriverContext, DriverFactory } from './driver.js';

type AnyFactory = {
  logName: string;
  create(device: ResolvedDevice, context: DriverContext): Driver;
};

/**
 * Drivers registered by protocol name (Telegraf's `inputs.Add`). The gateway asks the registry
 * for a device's driver and never switches on a protocol itself.
 */
export class DriverRegistry {
  readonly #factories = new Map<string, AnyFactory>();

  register<P extends ResolvedDevice['protocol']>(factory: DriverFactory<P>): this {
    if (this.#factories.has(factory.protocol)) {
      throw new Error(`a driver for protocol "${factory.protocol}" is already registered`);
    }
    this.#factories.set(factory.protocol, {
      logName: factory.logName,
      // Safe: this entry is only looked up with a device whose protocol is `factory.protocol`.
      create: (device, context) => factory.create(device as DeviceOf<P>, context),
    });
    return this;
  }

  has(protocol: string): boolean {
    return this.#factories.has(protocol);
  }

  protocols(): string[] {
    return [...this.#factories.keys()];
  }

  /** The log namespace segment for a protocol (`modbus`). */
  logName(protocol: string): string {
    return this.#factories.get(protocol)?.logName ?? protocol;
  }

  create(device: ResolvedDevice, context: DriverContext): Driver {
    const factory = this.#factories.get(device.protocol);
    if (factory === undefined) {
      throw new Error(
        `no driver for protocol "${device.protocol}" (registered: ${this.protocols().join(', ') || 'none'})`,
      );
    }
    return factory.create(device, context);
  }
}
