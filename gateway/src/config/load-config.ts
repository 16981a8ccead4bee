import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DeviceProfile,
  deviceProfileSchema,
  type ModbusPoint,
  type OpcuaPoint,
  resolveNodeId,
} from '@caretaker/protocol';
import YAML from 'yaml';
import type { z } from 'zod';
import {
  type DeviceConfig,
  deviceConfigSchema,
  type GatewayConfig,
  type GatewayModbusPoint,
  type GatewayOpcuaPoint,
  gatewayConfigSchema,
  type PointOptions,
  parseHostPort,
} from './config.schema.js';
import { ConfigError, type ConfigIssue, joinPath } from './config-error.js';
import { type Env, interpolateEnv } from './env-interpolation.js';
import type {
  Acquisition,
  ModbusLinkConfig,
  ResolvedDevice,
  ResolvedGatewayConfig,
  ResolvedModbusPoint,
} from './resolved-config.js';

/** The repository's shared profiles (`simulators/profiles`), the default `profiles_dir`. */
export const DEFAULT_PROFILES_DIR = fileURLToPath(new URL('../../../simulators/profiles', import.meta.url));

export interface ResolveOptions {
  /** Variables for `${VAR}` interpolation; default `process.env`. */
  env?: Env;
}

/**
 * Reads, interpolates, validates and resolves a gateway configuration file. Throws a
 * `ConfigError` listing every problem with its path (`devices.1.unit_id: ...`).
 */
export async function loadGatewayConfig(
  file: string,
  options: ResolveOptions = {},
): Promise<ResolvedGatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
  const document = YAML.parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => ({ path: '(yaml)', message: error.message.replaceAll('\n', ' ') })),
      file,
    );
  }
  try {
    return await resolveGatewayConfig(document.toJS(), path.dirname(path.resolve(file)), options);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, file);
    throw err;
  }
}

/**
 * Validates an already-parsed configuration (for tests and programmatic use) and resolves it:
 * environment interpolation, defaults, profiles merged into a concrete point list per device.
 * Relative paths are resolved against `baseDir`.
 */
export async function resolveGatewayConfig(
  raw: unknown,
  baseDir: string,
  options: ResolveOptions = {},
): Promise<ResolvedGatewayConfig> {
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw, options.env ?? process.env, issues);
  const parsed = gatewayConfigSchema.safeParse(interpolated);
  if (!parsed.success) {
    // A value whose placeholder failed is reported once, not again as "invalid URL".
    const placeholderPaths = new Set(issues.map((issue) => issue.path));
    issues.push(...zodIssues(parsed.error).filter((issue) => !placeholderPaths.has(issue.path)));
    // Still check the profiles of the devices that are valid on their own, so that one run
    // reports every problem in the file.
    const partial = (interpolated ?? {}) as { profiles_dir?: unknown; devices?: unknown };
    const profiles = new ProfileCache(
      typeof partial.profiles_dir === 'string'
        ? path.resolve(baseDir, partial.profiles_dir)
        : DEFAULT_PROFILES_DIR,
    );
    const devices: unknown[] = Array.isArray(partial.devices) ? partial.devices : [];
    for (const [index, candidate] of devices.entries()) {
      const device = deviceConfigSchema.safeParse(candidate);
      if (device.success) await resolveDevice(device.data, `devices.${index}`, profiles, issues);
    }
    throw new ConfigError(issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const config: GatewayConfig = parsed.data;
  const profilesDir =
    config.profiles_dir === undefined ? DEFAULT_PROFILES_DIR : path.resolve(baseDir, config.profiles_dir);
  const dataDir =
    config.data_dir === undefined
      ? path.join(os.tmpdir(), 'caretaker-gateway', `${config.site}.${config.gateway}`)
      : path.resolve(baseDir, config.data_dir);

  const profiles = new ProfileCache(profilesDir);
  const devices: ResolvedDevice[] = [];
  for (const [index, device] of config.devices.entries()) {
    const resolved = await resolveDevice(device, `devices.${index}`, profiles, issues);
    if (resolved !== undefined) devices.push(resolved);
  }
  checkSerialPorts(devices, config.devices, issues);
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    site: config.site,
    gateway: config.gateway,
    mqtt: {
      url: config.mqtt.url,
      ...(config.mqtt.username === undefined ? {} : { username: config.mqtt.username }),
      ...(config.mqtt.password === undefined ? {} : { password: config.mqtt.password }),
      client_id: config.mqtt.client_id ?? `caretaker-${config.site}-${config.gateway}`,
      keepalive_s: config.mqtt.keepalive_s,
      max_inflight: config.mqtt.max_inflight,
    },
    spool: config.spool,
    metrics: {
      stats_interval_s: config.metrics.stats_interval_s,
      ...(config.metrics.listen === undefined ? {} : { listen: parseHostPort(config.metrics.listen, 9464) }),
    },
    profiles_dir: profilesDir,
    data_dir: dataDir,
    devices,
  };
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: joinPath(issue.path), message: issue.message }));
}

/** Reads each profile once per resolution, remembering failures so they are reported per device. */
class ProfileCache {
  readonly #dir: string;
  readonly #loaded = new Map<string, Promise<DeviceProfile | string>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The profile, or a message saying why it cannot be used. */
  get(name: string): Promise<DeviceProfile | string> {
    let entry = this.#loaded.get(name);
    if (entry === undefined) {
      entry = this.#load(name);
      this.#loaded.set(name, entry);
    }
    return entry;
  }

  async #load(name: string): Promise<DeviceProfile | string> {
    const file = path.join(this.#dir, `${name}.yaml`);
    let data: unknown;
    try {
      data = YAML.parse(await readFile(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT'
        ? `profile "${name}" not found (no ${file})`
        : `cannot read profile ${file}: ${(err as Error).message}`;
    }
    const result = deviceProfileSchema.safeParse(data);
    if (!result.success) {
      return `profile ${file} is invalid: ${zodIssues(result.error)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ')}`;
    }
    return result.data;
  }
}

// A profile's `protocol` names the register-map family; a device's names the transport.
const PROFILE_PROTOCOL = {
  'modbus-tcp': 'modbus',
  'modbus-rtu-tcp': 'modbus',
  'modbus-rtu': 'modbus',
  opcua: 'opcua',
} as const;

/**
 * The largest gap of unused registers worth reading to save a round trip, when the device does not
 * set `max_gap_registers`. On Ethernet a round trip (request and response framing, the device's
 * turnaround) costs far more than 250 extra bytes, so anything that fits in one read is joined. On
 * a serial line a register costs 2 characters, while a round trip costs about 20 characters of
 * framing and silent intervals (Modbus over Serial Line v1.02 §2.5.1.1: 3.5 characters between
 * frames) plus the device's turnaround (taken as 5 ms).
 */
export function defaultGapRegisters(link: ModbusLinkConfig): number {
  if (link.kind === 'tcp') return MAX_GAP_REGISTERS;
  // RTU over TCP: the serial speed behind the converter is unknown; assume the common 9600.
  const baud = link.kind === 'rtu' ? link.baud_rate : 9600;
  const charMs = (11 / baud) * 1000; // start + 8 data + parity/stop: 11 bits per character
  const roundTripMs = 20 * charMs + 5;
  return Math.min(MAX_GAP_REGISTERS, Math.floor(roundTripMs / (2 * charMs)));
}
const MAX_GAP_REGISTERS = 124;

type AnyPoint = { name: string } & PointOptions;

async function resolveDevice(
  device: DeviceConfig,
  at: string,
  profiles: ProfileCache,
  issues: ConfigIssue[],
): Promise<ResolvedDevice | undefined> {
  const before = issues.length;
  let profile: DeviceProfile | undefined;
  if (device.profile !== undefined) {
    const loaded = await profiles.get(device.profile);
    if (typeof loaded === 'string') {
      issues.push({ path: `${at}.profile`, message: loaded });
    } else if (loaded.protocol !== PROFILE_PROTOCOL[device.protocol]) {
      issues.push({
        path: `${at}.profile`,
        message: `profile "${device.profile}" is for ${loaded.protocol} devices, this device uses ${device.protocol}`,
      });
    } else {
      profile = loaded;
      checkDuplicateNames(profile.points, `${at}.profile`, ` in profile "${device.profile}"`, issues);
    }
  }
  checkDuplicateNames(device.points ?? [], `${at}.points`, undefined, issues);

  const deviceType = device.device_type ?? profile?.device_type;
  if (deviceType === undefined && device.profile === undefined) {
    issues.push({ path: `${at}.device_type`, message: 'required when the device has no profile' });
  }
  if (device.profile === undefined && (device.points ?? []).length === 0) {
    issues.push({ path: `${at}.points`, message: 'a device needs a profile or at least one point' });
  }
  if (issues.length > before || deviceType === undefined) return undefined;

  const defaults: Acquisition = {
    poll_interval_ms: device.poll_interval_ms,
    report_on_change: device.report_on_change || device.deadband !== undefined,
    deadband: device.deadband ?? 0,
    heartbeat_ms: device.heartbeat_s * 1000,
  };
  const acquisition = (point: AnyPoint): Acquisition => {
    const options = { ...point, ...(device.point_options?.[point.name] ?? {}) };
    const deadband = options.deadband ?? defaults.deadband;
    return {
      poll_interval_ms: options.poll_interval_ms ?? defaults.poll_interval_ms,
      report_on_change:
        options.report_on_change ?? (defaults.report_on_change || options.deadband !== undefined),
      deadband,
      heartbeat_ms: options.heartbeat_s === undefined ? defaults.heartbeat_ms : options.heartbeat_s * 1000,
    };
  };
  const common = {
    id: device.id,
    device_type: deviceType,
    ...(device.profile === undefined ? {} : { profile: device.profile }),
    poll_interval_ms: device.poll_interval_ms,
    timeout_ms: device.timeout_ms,
    offline_after_failures: device.offline_after_failures,
    max_backoff_ms: device.max_backoff_ms,
    writable: (device.writable ?? []).map((w) => ({
      point: w.point,
      verify: w.verify,
      ...(w.min === undefined ? {} : { min: w.min }),
      ...(w.max === undefined ? {} : { max: w.max }),
    })),
  };

  let resolved: ResolvedDevice;
  if (device.protocol === 'opcua') {
    const base = profile?.protocol === 'opcua' ? profile : undefined;
    resolved = {
      ...common,
      protocol: device.protocol,
      endpoint: device.endpoint,
      mode: device.mode,
      max_clock_skew_ms: device.max_clock_skew_ms,
      points: mergePoints<GatewayOpcuaPoint | OpcuaPoint>(base?.points ?? [], device.points ?? []).map(
        (point) => ({
          name: point.name,
          ...(point.unit === undefined ? {} : { unit: point.unit }),
          ...(point.description === undefined ? {} : { description: point.description }),
          node_id: resolveNodeId(point, device.id),
          ...acquisition(point),
        }),
      ),
    };
  } else {
    const base = profile?.protocol === 'modbus' ? profile : undefined;
    const wordOrder = device.word_order ?? base?.word_order ?? 'big';
    const byteOrder = device.byte_order ?? base?.byte_order ?? 'big';
    const link: ModbusLinkConfig =
      device.protocol === 'modbus-rtu'
        ? { kind: 'rtu', path: device.endpoint, ...device.serial }
        : { kind: device.protocol === 'modbus-tcp' ? 'tcp' : 'rtu-tcp', ...parseHostPort(device.endpoint) };
    const merged = mergePoints<GatewayModbusPoint | ModbusPoint>(base?.points ?? [], device.points ?? []);
    const inlineIndex = new Map((device.points ?? []).map((point, index) => [point.name, index]));
    const points: ResolvedModbusPoint[] = [];
    for (const point of merged) {
      const addressBase = ('address_base' in point ? point.address_base : undefined) ?? device.address_base;
      const where =
        inlineIndex.get(point.name) === undefined
          ? `${at}.profile`
          : `${at}.points.${inlineIndex.get(point.name)}`;
      if (point.address < addressBase) {
        issues.push({
          path: `${where}${where.endsWith('profile') ? '' : '.address'}`,
          message: `${point.name}: address ${point.address} is below address_base ${addressBase}`,
        });
        continue;
      }
      if (point.type === 'string' && (!('length' in point) || point.length === undefined)) {
        issues.push({
          path: `${where}.length`,
          message: `${point.name}: a string point needs a length (registers)`,
        });
        continue;
      }
      points.push({
        name: point.name,
        ...(point.unit === undefined ? {} : { unit: point.unit }),
        ...(point.description === undefined ? {} : { description: point.description }),
        table: point.table,
        address: point.address - addressBase,
        type: point.type,
        ...('length' in point && point.length !== undefined ? { length: point.length } : {}),
        word_order: point.word_order ?? wordOrder,
        byte_order: point.byte_order ?? byteOrder,
        ...(point.scale === undefined ? {} : { scale: point.scale }),
        ...(point.offset === undefined ? {} : { offset: point.offset }),
        ...(point.bit === undefined ? {} : { bit: point.bit }),
        ...acquisition(point),
      });
    }
    resolved = {
      ...common,
      protocol: device.protocol,
      endpoint: device.endpoint,
      link,
      unit_id: device.unit_id,
      max_registers_per_read: device.max_registers_per_read,
      max_bits_per_read: device.max_bits_per_read,
      max_gap_registers: device.max_gap_registers ?? defaultGapRegisters(link),
      request_delay_ms: device.request_delay_ms,
      points,
    };
  }

  // Options and the allow-list must name points the device has.
  const names = new Set(resolved.points.map((point) => point.name));
  for (const name of Object.keys(device.point_options ?? {})) {
    if (!names.has(name))
      issues.push({ path: `${at}.point_options.${name}`, message: `no point named "${name}"` });
  }
  (device.writable ?? []).forEach((w, index) => {
    if (!names.has(w.point)) {
      issues.push({ path: `${at}.writable.${index}.point`, message: `no point named "${w.point}"` });
    } else if (resolved.protocol !== 'opcua') {
      const point = resolved.points.find((p) => p.name === w.point);
      if (point?.table === 'input' || point?.table === 'discrete' || point?.type === 'string') {
        issues.push({
          path: `${at}.writable.${index}.point`,
          message: `"${w.point}" cannot be written (${point.type === 'string' ? 'a string' : `a read-only ${point.table}`})`,
        });
      }
    }
  });
  return issues.length > before ? undefined : resolved;
}

/** Devices on one serial port share the line: they must agree on its settings. */
function checkSerialPorts(
  devices: readonly ResolvedDevice[],
  configs: readonly DeviceConfig[],
  issues: ConfigIssue[],
): void {
  const first = new Map<string, { index: number; settings: string }>();
  for (const device of devices) {
    if (device.protocol !== 'modbus-rtu' || device.link.kind !== 'rtu') continue;
    const index = configs.findIndex((config) => config.id === device.id);
    const { path: port, ...rest } = device.link;
    const settings = JSON.stringify(rest);
    const seen = first.get(port);
    if (seen === undefined) first.set(port, { index, settings });
    else if (seen.settings !== settings) {
      issues.push({
        path: `devices.${index}.serial`,
        message: `${port} is also used by devices.${seen.index} with other settings (${seen.settings})`,
      });
    }
  }
}

/** Profile points in profile order; an inline point replaces the one of the same name or is appended. */
function mergePoints<P extends { name: string }>(fromProfile: readonly P[], inline: readonly P[]): P[] {
  const merged = [...fromProfile];
  for (const point of inline) {
    const index = merged.findIndex((existing) => existing.name === point.name);
    if (index >= 0) merged[index] = point;
    else merged.push(point);
  }
  return merged;
}

function checkDuplicateNames(
  points: readonly { name: string }[],
  at: string,
  inProfile: string | undefined,
  issues: ConfigIssue[],
): void {
  const seen = new Set<string>();
  points.forEach((point, index) => {
    if (seen.has(point.name)) {
      issues.push({
        path: inProfile === undefined ? `${at}.${index}.name` : at,
        message: `duplicate point name "${point.name}"${inProfile ?? ''}`,
      });
    }
    seen.add(point.name);
  });
}
