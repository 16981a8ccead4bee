import path from 'node:path';
import type { DeviceHealth, DeviceState } from '@caretaker/protocol';
import { createLogger, type Logger } from '@caretaker/protocol/log';
import packageJson from '../package.json' with { type: 'json' };
import { CommandService } from './commands/command.service.js';
import { ConfigError, type ConfigIssue } from './config/config-error.js';
import type { Acquisition, ResolvedDevice, ResolvedGatewayConfig } from './config/resolved-config.js';
import { builtinDrivers } from './drivers/builtin-drivers.js';
import type { DriverRegistry } from './drivers/registry.js';
import { type ForwardingSnapshot, GatewayMetrics } from './metrics/gateway-metrics.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { MqttOutput } from './outputs/mqtt.output.js';
import type { Output } from './outputs/output.js';
import { DeviceRunner } from './pipeline/device-runner.js';
import { ResourcePool } from './pipeline/shared-resources.js';
import { MemorySpool } from './spool/memory.spool.js';
import type { Spool } from './spool/spool.js';
import { SqliteSpool } from './spool/sqlite.spool.js';

export const GATEWAY_VERSION: string = packageJson.version;

export interface GatewayOptions {
  /** Clock for every timestamp the gateway produces, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Drivers by protocol (default: the built-in Modbus and OPC UA drivers). */
  drivers?: DriverRegistry;
  /** Where readings go (default: the MQTT output configured in `config.mqtt`, with the spool). */
  output?: Output;
  /** Logger factory for namespaced loggers (default: `createLogger` from the protocol package). */
  logger?: (name: string) => Logger;
  /** Random numbers for the backoff jitter (tests). */
  random?: () => number;
}

/** What `reload()` did. */
export interface ReloadResult {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
  /** Settings that changed but only take effect after a restart. */
  needsRestart: string[];
}

type Phase = 'created' | 'initialized' | 'starting' | 'running' | 'stopping' | 'stopped';

interface RunningDevice {
  device: ResolvedDevice;
  runner: DeviceRunner;
}

/**
 * The edge agent: one output (MQTT, with the store-and-forward spool) fed by one runner per
 * device, plus metrics and the command service.
 *
 * Lifecycle: the constructor only assigns; `init()` validates and compiles every driver without
 * I/O (all problems reported at once in a `ConfigError`); `start()` opens the spool and connects
 * the output first, then starts the devices; `stop()` stops the sources first, then the output,
 * then closes the spool. `reload()` applies a new configuration to the devices that changed.
 */
export class Gateway {
  #config: ResolvedGatewayConfig;
  readonly #options: GatewayOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #makeLogger: (name: string) => Logger;
  readonly #registry: DriverRegistry;
  readonly #pool = new ResourcePool();
  #output: Output | undefined;
  #spool: Spool | undefined;
  #metrics: GatewayMetrics | undefined;
  #metricsServer: MetricsServer | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #commands: CommandService | undefined;
  #devices = new Map<string, RunningDevice>();
  #phase: Phase = 'created';

  constructor(config: ResolvedGatewayConfig, options: GatewayOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#makeLogger = options.logger ?? createLogger;
    this.#log = this.#makeLogger('gateway');
    this.#registry = options.drivers ?? builtinDrivers();
  }

  get config(): ResolvedGatewayConfig {
    return this.#config;
  }

  /** The output; undefined before `init()`. */
  get output(): Output | undefined {
    return this.#output;
  }

  get metrics(): GatewayMetrics | undefined {
    return this.#metrics;
  }

  get commands(): CommandService | undefined {
    return this.#commands;
  }

  /** The Prometheus endpoint's port, when it is on. */
  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
  }

  /** Online/offline state of every device as the gateway last saw it. */
  deviceStates(): Record<string, DeviceState> {
    return Object.fromEntries([...this.#devices].map(([id, running]) => [id, running.runner.state]));
  }

  /** Online/degraded/offline of every device. */
  deviceHealth(): Record<string, DeviceHealth | 'unknown'> {
    return Object.fromEntries([...this.#devices].map(([id, running]) => [id, running.runner.health]));
  }

  /** The runner of a device (tests and diagnostics). */
  runner(device: string): DeviceRunner | undefined {
    return this.#devices.get(device)?.runner;
  }

  init(): void {
    if (this.#phase !== 'created') return;
    const metrics = new GatewayMetrics({ snapshot: () => this.#snapshot(), now: this.#now });
    let devices: Map<string, RunningDevice>;
    try {
      devices = this.#build(this.#config.devices, metrics);
    } catch (err) {
      metrics.close();
      throw err;
    }
    this.#metrics = metrics;
    this.#devices = devices;
    this.#phase = 'initialized';
  }

  async start(): Promise<void> {
    this.init();
    if (this.#phase !== 'initialized') throw new Error(`cannot start a gateway that is ${this.#phase}`);
    this.#phase = 'starting';
    const config = this.#config;
    // Sink before sources: the output must be ready to take the first readings.
    if (this.#options.output !== undefined) {
      this.#output = this.#options.output;
    } else {
      this.#spool = openSpool(config);
      this.#output = new MqttOutput({
        site: config.site,
        gateway: config.gateway,
        mqtt: config.mqtt,
        spool: this.#spool,
        forwarding: {
          flushIntervalMs: config.spool.flush_interval_ms,
          replayRatePerS: config.spool.replay_rate,
          maxInflight: config.mqtt.max_inflight,
        },
        devices: config.devices.map((device) => device.id),
        version: GATEWAY_VERSION,
        now: this.#now,
        logger: this.#makeLogger('gateway:mqtt'),
      });
    }
    this.#metrics?.start();
    const output = this.#output;
    if (output.setCommandHandler !== undefined && output.writeCommandResponse !== undefined) {
      const respond = output.writeCommandResponse.bind(output);
      const commands = new CommandService({
        target: (id) => {
          const running = this.#devices.get(id);
          return running === undefined
            ? undefined
            : { device: running.device, exclusive: (op) => running.runner.exclusive(op) };
        },
        respond,
        now: this.#now,
        logger: this.#makeLogger('gateway:commands'),
      });
      this.#commands = commands;
      // Always listen (a reload may add an allow-list); devices without one reject every command.
      output.setCommandHandler((device, payload) => {
        void commands.handle(device, payload);
      });
    }
    await output.start();
    const { listen, stats_interval_s } = config.metrics;
    if (listen !== undefined && this.#metrics !== undefined) {
      // Observability must not stop acquisition: a port in use is logged, and the gateway runs on.
      const server = new MetricsServer(this.#metrics, this.#makeLogger('gateway:metrics'));
      try {
        await server.start(listen.host, listen.port);
        this.#metricsServer = server;
      } catch (err) {
        this.#log.error({ err: (err as Error).message, listen }, 'metrics endpoint not started');
      }
    }
    if (stats_interval_s > 0 && output.writeStats !== undefined) {
      const write = output.writeStats.bind(output);
      this.#statsTimer = setInterval(() => {
        if (this.#metrics !== undefined) write(this.#metrics.stats());
      }, stats_interval_s * 1000);
    }
    for (const { runner } of this.#devices.values()) runner.start();
    this.#phase = 'running';
    const { site, gateway, devices } = config;
    this.#log.info(
      { site, gateway, devices: devices.length, version: GATEWAY_VERSION, spool: this.#spool?.depth },
      'gateway started',
    );
  }

  async stop(): Promise<void> {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') return;
    this.#phase = 'stopping';
    clearInterval(this.#statsTimer);
    // Sources first, so nothing is written to an output that is going away.
    await Promise.all([...this.#devices.values()].map(({ runner }) => runner.stop()));
    await this.#output?.stop();
    await this.#metricsServer?.stop();
    this.#spool?.close();
    this.#metrics?.close();
    this.#phase = 'stopped';
    this.#log.info('gateway stopped');
  }

  /**
   * Applies a new configuration without a restart: devices added are started, devices removed are
   * stopped (and their retained status cleared), devices whose settings changed are restarted, and
   * every other device keeps running untouched. The spool and the broker connection are never
   * touched; changes to them (and to site, gateway, data_dir) are reported in `needsRestart`.
   * Throws a `ConfigError` (and changes nothing) when a new device does not pass its driver's checks.
   */
  async reload(next: ResolvedGatewayConfig): Promise<ReloadResult> {
    if (this.#phase !== 'running') throw new Error(`cannot reload a gateway that is ${this.#phase}`);
    const metrics = this.#metrics;
    if (metrics === undefined) throw new Error('not initialised');
    const current = this.#config;
    const needsRestart = (['site', 'gateway', 'data_dir', 'mqtt', 'spool', 'metrics'] as const).filter(
      (key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]),
    );
    const before = new Map(current.devices.map((device) => [device.id, JSON.stringify(device)]));
    const changed = next.devices.filter((device) => before.get(device.id) !== JSON.stringify(device));
    const nextIds = new Set(next.devices.map((device) => device.id));
    const removed = current.devices.filter((device) => !nextIds.has(device.id)).map((device) => device.id);
    // Build (and check) the new runners before touching anything.
    let built: Map<string, RunningDevice>;
    try {
      built = this.#build(changed, metrics, next.devices);
    } catch (err) {
      metrics.configReloaded(false);
      throw err;
    }
    const restarted = changed.filter((device) => before.has(device.id)).map((device) => device.id);
    const added = changed.filter((device) => !before.has(device.id)).map((device) => device.id);
    const stopping = [...removed, ...restarted];
    await Promise.all(stopping.map((id) => this.#devices.get(id)?.runner.stop()));
    for (const id of removed) {
      this.#devices.delete(id);
      metrics.removeDevice(id);
      if (this.#output instanceof MqttOutput) this.#output.forgetDevice(id);
    }
    for (const [id, running] of built) {
      this.#devices.set(id, running);
      running.runner.start();
    }
    // Keep the configured order (the online status lists devices in it).
    this.#devices = new Map(
      next.devices.flatMap((device) => {
        const running = this.#devices.get(device.id);
        return running === undefined ? [] : [[device.id, running] as const];
      }),
    );
    this.#config = { ...current, devices: next.devices };
    if (this.#output instanceof MqttOutput) this.#output.setDevices(next.devices.map((device) => device.id));
    metrics.configReloaded(true);
    const unchanged = next.devices
      .map((d) => d.id)
      .filter((id) => !added.includes(id) && !restarted.includes(id));
    const result = { added, removed, restarted, unchanged, needsRestart };
    this.#log.info(result, 'configuration reloaded');
    if (needsRestart.length > 0)
      this.#log.warn({ keys: needsRestart }, 'these settings take effect after a restart');
    return result;
  }

  /** Creates and checks a runner per device; all problems in one ConfigError, paths in `all`. */
  #build(
    devices: readonly ResolvedDevice[],
    metrics: GatewayMetrics,
    all: readonly ResolvedDevice[] = devices,
  ): Map<string, RunningDevice> {
    const issues: ConfigIssue[] = [];
    const built = new Map<string, RunningDevice>();
    for (const device of devices) {
      const index = all.indexOf(device);
      try {
        const logger = this.#makeLogger(`gateway:${this.#registry.logName(device.protocol)}:${device.id}`);
        const driver = this.#registry.create(device, {
          logger,
          dataDir: this.#config.data_dir,
          now: this.#now,
          recorder: metrics.recorder(device.id),
          shared: this.#pool,
        });
        driver.init();
        const points = new Map<string, Acquisition>(device.points.map((point) => [point.name, point]));
        const runner = new DeviceRunner({
          driver,
          points,
          timeoutMs: device.timeout_ms,
          offlineAfterFailures: device.offline_after_failures,
          maxBackoffMs: device.max_backoff_ms,
          now: this.#now,
          logger,
          metrics: metrics.runner(device.id),
          ...(this.#options.random === undefined ? {} : { random: this.#options.random }),
          onReadings: (readings) =>
            this.#output?.writeTelemetry({ device: device.id, device_type: device.device_type, readings }),
          onStatus: (status) =>
            this.#output?.writeDeviceStatus({
              device: device.id,
              device_type: device.device_type,
              ...status,
              ts: this.#now(),
            }),
        });
        built.set(device.id, { device, runner });
      } catch (err) {
        if (err instanceof ConfigError) {
          for (const issue of err.issues)
            issues.push({ path: `devices.${index}.${issue.path}`, message: issue.message });
        } else {
          issues.push({ path: `devices.${index}`, message: (err as Error).message });
        }
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return built;
  }

  #snapshot(): ForwardingSnapshot {
    const output = this.#output;
    if (output instanceof MqttOutput) return output.stats;
    const spool = this.#spool;
    return {
      connected: false,
      acked: 0,
      replayed: 0,
      invalid: 0,
      inflight: 0,
      spoolDepth: spool?.depth ?? 0,
      spoolBytes: spool?.bytes ?? 0,
      spoolOldestTs: spool?.oldestTs(),
      dropped: spool?.dropped ?? 0,
    };
  }
}

/** The spool the configuration asks for: `<data_dir>/spool.db`, or memory. */
export function openSpool(config: ResolvedGatewayConfig): Spool {
  const limits = { maxBytes: config.spool.max_bytes, maxAgeMs: config.spool.max_age_s * 1000 };
  return config.spool.storage === 'memory'
    ? new MemorySpool(limits)
    : new SqliteSpool(path.join(config.data_dir, 'spool.db'), limits);
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
