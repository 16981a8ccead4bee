import type { DeviceState } from '@caretaker/protocol';
import { createLogger, type Logger } from '@caretaker/protocol/log';
import packageJson from '../package.json' with { type: 'json' };
import { ConfigError, type ConfigIssue } from './config/config-error.js';
import type { ResolvedGatewayConfig } from './config/resolved-config.js';
import { builtinDrivers } from './drivers/builtin-drivers.js';
import type { DriverRegistry } from './drivers/registry.js';
import { MqttOutput } from './outputs/mqtt.output.js';
import type { Output } from './outputs/output.js';
import { DevicePoller } from './pipeline/device-poller.js';

export const GATEWAY_VERSION: string = packageJson.version;

export interface GatewayOptions {
  /** Clock for every timestamp the gateway produces, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Drivers by protocol (default: the built-in Modbus/TCP and OPC UA drivers). */
  drivers?: DriverRegistry;
  /** Where readings go (default: the MQTT output configured in `config.mqtt`). */
  output?: Output;
  /** Logger factory for namespaced loggers (default: `createLogger` from the protocol package). */
  logger?: (name: string) => Logger;
  /** Consecutive failed polls before an online device is reported offline (default 2). */
  offlineAfterFailures?: number;
  /** Longest wait between retries of a failing device, ms (default 30 000). */
  maxBackoffMs?: number;
}

type Phase = 'created' | 'initialized' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The edge agent: one output (MQTT) fed by one poller per device.
 *
 * Lifecycle: the constructor only assigns; `init()` validates and compiles every driver without
 * I/O (all problems reported at once in a `ConfigError`); `start()` connects the output first,
 * then starts polling; `stop()` stops the sources first, then the output.
 */
export class Gateway {
  readonly config: ResolvedGatewayConfig;
  readonly #options: GatewayOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  #output: Output | undefined;
  #pollers = new Map<string, DevicePoller>();
  #phase: Phase = 'created';

  constructor(config: ResolvedGatewayConfig, options: GatewayOptions = {}) {
    this.config = config;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#log = (options.logger ?? createLogger)('gateway');
  }

  /** The output; undefined before `init()`. */
  get output(): Output | undefined {
    return this.#output;
  }

  /** Online/offline state of every device as the gateway last saw it. */
  deviceStates(): Record<string, DeviceState> {
    return Object.fromEntries([...this.#pollers].map(([id, poller]) => [id, poller.state]));
  }

  init(): void {
    if (this.#phase !== 'created') return;
    const makeLogger = this.#options.logger ?? createLogger;
    const registry = this.#options.drivers ?? builtinDrivers();
    const { config } = this;
    const issues: ConfigIssue[] = [];
    const pollers = new Map<string, DevicePoller>();

    config.devices.forEach((device, index) => {
      try {
        const logger = makeLogger(`gateway:${registry.logName(device.protocol)}:${device.id}`);
        const driver = registry.create(device, { logger, dataDir: config.data_dir });
        driver.init();
        pollers.set(
          device.id,
          new DevicePoller({
            driver,
            pollIntervalMs: device.poll_interval_ms,
            timeoutMs: device.timeout_ms,
            now: this.#now,
            logger,
            ...(this.#options.offlineAfterFailures === undefined
              ? {}
              : { offlineAfterFailures: this.#options.offlineAfterFailures }),
            ...(this.#options.maxBackoffMs === undefined ? {} : { maxBackoffMs: this.#options.maxBackoffMs }),
            onReadings: (readings) =>
              this.#output?.writeTelemetry({ device: device.id, device_type: device.device_type, readings }),
            onStateChange: (state, error) =>
              this.#output?.writeDeviceStatus({
                device: device.id,
                device_type: device.device_type,
                state,
                ts: this.#now(),
                ...(error === undefined ? {} : { error }),
              }),
          }),
        );
      } catch (err) {
        if (err instanceof ConfigError) {
          for (const issue of err.issues)
            issues.push({ path: `devices.${index}.${issue.path}`, message: issue.message });
        } else {
          issues.push({ path: `devices.${index}`, message: (err as Error).message });
        }
      }
    });
    if (issues.length > 0) throw new ConfigError(issues);

    this.#output =
      this.#options.output ??
      new MqttOutput({
        site: config.site,
        gateway: config.gateway,
        mqtt: config.mqtt,
        devices: config.devices.map((device) => device.id),
        version: GATEWAY_VERSION,
        now: this.#now,
        logger: makeLogger('gateway:mqtt'),
      });
    this.#pollers = pollers;
    this.#phase = 'initialized';
  }

  async start(): Promise<void> {
    this.init();
    if (this.#phase !== 'initialized') throw new Error(`cannot start a gateway that is ${this.#phase}`);
    this.#phase = 'starting';
    // Sink before sources: the output must be ready to take the first readings.
    await this.#output?.start();
    for (const poller of this.#pollers.values()) poller.start();
    this.#phase = 'running';
    const { site, gateway, devices } = this.config;
    this.#log.info({ site, gateway, devices: devices.length, version: GATEWAY_VERSION }, 'gateway started');
  }

  async stop(): Promise<void> {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') return;
    this.#phase = 'stopping';
    // Sources first, so nothing is written to an output that is going away.
    await Promise.all([...this.#pollers.values()].map((poller) => poller.stop()));
    await this.#output?.stop();
    this.#phase = 'stopped';
    this.#log.info('gateway stopped');
  }
}

/** Creates, initialises and starts a gateway; stops whatever started if starting fails. */
export async function startGateway(
  config: ResolvedGatewayConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const gateway = new Gateway(config, options);
  gateway.init();
  try {
    await gateway.start();
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  return gateway;
}
