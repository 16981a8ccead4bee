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
  gatewayConfigSchema,
  parseHostPort,
} from './config.schema.js';
import { ConfigError, type ConfigIssue, joinPath } from './config-error.js';
import { type Env, interpolateEnv } from './env-interpolation.js';
import type { ResolvedDevice, ResolvedGatewayConfig } from './resolved-config.js';

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
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    site: config.site,
    gateway: config.gateway,
    mqtt: {
      ...config.mqtt,
      client_id: config.mqtt.client_id ?? `caretaker-${config.site}-${config.gateway}`,
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
const PROFILE_PROTOCOL = { 'modbus-tcp': 'modbus', opcua: 'opcua' } as const;

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

  const common = {
    id: device.id,
    device_type: deviceType,
    ...(device.profile === undefined ? {} : { profile: device.profile }),
    poll_interval_ms: device.poll_interval_ms,
    timeout_ms: device.timeout_ms,
  };
  if (device.protocol === 'modbus-tcp') {
    const base = profile?.protocol === 'modbus' ? profile : undefined;
    return {
      ...common,
      protocol: device.protocol,
      endpoint: device.endpoint,
      ...parseHostPort(device.endpoint),
      unit_id: device.unit_id,
      word_order: device.word_order ?? base?.word_order ?? 'big',
      byte_order: device.byte_order ?? base?.byte_order ?? 'big',
      points: mergePoints<ModbusPoint>(base?.points ?? [], device.points ?? []),
    };
  }
  const base = profile?.protocol === 'opcua' ? profile : undefined;
  return {
    ...common,
    protocol: device.protocol,
    endpoint: device.endpoint,
    points: mergePoints<OpcuaPoint>(base?.points ?? [], device.points ?? []).map((point) => ({
      ...point,
      node_id: resolveNodeId(point, device.id),
    })),
  };
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
