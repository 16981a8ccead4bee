import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues } from '@caretaker/protocol';
import { z } from 'zod';
import type { MaintenanceConfig } from './alarms/maintenance.js';
import type { InfluxStoreConfig } from './storage/influx.store.js';

/**
 * The hub's settings, from environment variables (12-factor) with CLI flags on top. One
 * schema is the source of truth for names, defaults and ranges; every error names its variable.
 */
const port = z.coerce.number().int().min(0).max(65535);
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

export const hubEnvSchema = z.object({
  CARETAKER_DEMO: flag.default(false),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(8080),
  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  MQTT_URL: z.url({ protocol: /^(mqtts?|wss?|tcp)$/ }).optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** External broker: a fixed client id keeps the hub's persistent session across restarts. */
  MQTT_CLIENT_ID: z.string().min(1).max(128).default('caretaker-hub'),
  /** External broker: several hubs with the same group split the telemetry ($share, MQTT 5 §4.8.2). */
  MQTT_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  /** PEM files: with both set, the dashboard and API are served over HTTPS and MQTT over TLS. */
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  MQTT_TLS_PORT: port.default(8883),
  /** MQTT over WebSocket on the HTTP(S) port, at this path (empty: off). */
  MQTT_WS_PATH: z
    .string()
    .regex(/^(\/[A-Za-z0-9_.-]+)+$/)
    .default('/mqtt'),
  JOURNAL_MAX_READINGS: z.coerce.number().int().min(1000).default(2_000_000),
  JOURNAL_DURABILITY: z.enum(['full', 'normal']).default('full'),
  DATA_DIR: z.string().min(1).default('data'),
  /** PostgreSQL for alarms and work orders; SQLite in DATA_DIR when unset. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  HUB_RULES_FILE: z.string().min(1).optional(),
  HUB_ASSETS_FILE: z.string().min(1).optional(),
  /** Preventive objects, templates and plans to create at start (YAML); the demo's plans in the demo. */
  HUB_PLANS_FILE: z.string().min(1).optional(),
  /** Priorities and time limits per problem type (YAML); hub/config/service-levels.yaml when unset. */
  HUB_SERVICE_LEVELS_FILE: z.string().min(1).optional(),
  /** Automatic dispatch rules (YAML); hub/config/dispatch.yaml when unset. */
  HUB_DISPATCH_FILE: z.string().min(1).optional(),
  /** The work-order transition table (YAML); hub/config/workflow.yaml when unset. */
  HUB_WORKFLOW_FILE: z.string().min(1).optional(),
  /** The hub's address as phones reach it: printed in device QR codes (default: the request's). */
  HUB_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  INFLUX_URL: z.url({ protocol: /^https?$/ }).optional(),
  INFLUX_API: z.enum(['v1', 'v2', 'v3']).optional(),
  INFLUX_DATABASE: z.string().min(1).default('caretaker'),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  INFLUX_TOKEN: z.string().optional(),
  INFLUX_ORG: z.string().optional(),
  INFLUX_BUCKET: z.string().optional(),
});

export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'influxdb'; influx: InfluxStoreConfig };

export interface HubConfig {
  demo: boolean;
  http: { host: string; port: number };
  /** Embedded broker (host/port) unless `external` is set. */
  mqtt: {
    host: string;
    port: number;
    external?: { url: string; username?: string; password?: string; clientId?: string; sharedGroup?: string };
  };
  dataDir: string;
  /** Certificate and key (PEM) for HTTPS, MQTT over TLS (tlsPort) and secure WebSocket. */
  tls?: { cert: string; key: string; mqttPort: number };
  /** MQTT over WebSocket at this path of the HTTP(S) server. */
  mqttWsPath?: string;
  /** The write-ahead journal that holds readings until the store has them. */
  journal?: { maxReadings: number; durability: 'full' | 'normal' };
  store: StoreConfig;
  /** Alarms and work orders (defaults: SQLite in dataDir, the shipped rule pack). */
  maintenance?: MaintenanceConfig;
  /** The hub's address for QR codes (HUB_PUBLIC_URL). */
  publicUrl?: string;
}

export class HubConfigError extends Error {}

/** Variables that may instead be given as a file (`INFLUX_TOKEN_FILE=/run/secrets/token`). */
export const SECRET_VARIABLES = ['INFLUX_TOKEN', 'INFLUX_PASSWORD', 'MQTT_PASSWORD', 'DATABASE_URL'] as const;

/** The demo estate's preventive plans (pump rooms, lifts, the power room; two usage plans). */
export const DEMO_PLANS_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../config/demo-plans.yaml');

/** The demo estate's sites and buildings (the simulators' default scenario). */
export const DEMO_ASSETS_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../config/demo-assets.yaml',
);

function influxConfig(env: z.infer<typeof hubEnvSchema>, url: string): InfluxStoreConfig {
  const api = env.INFLUX_API ?? (env.INFLUX_TOKEN ? 'v2' : 'v1');
  if (api === 'v1') {
    return {
      api,
      url,
      database: env.INFLUX_DATABASE,
      ...(env.INFLUX_USERNAME !== undefined ? { username: env.INFLUX_USERNAME } : {}),
      ...(env.INFLUX_PASSWORD !== undefined ? { password: env.INFLUX_PASSWORD } : {}),
    };
  }
  const missing = (name: string) => new HubConfigError(`${name}: required with INFLUX_API=${api}`);
  if (!env.INFLUX_TOKEN) throw missing('INFLUX_TOKEN');
  if (api === 'v3')
    return { api, url, token: env.INFLUX_TOKEN, database: env.INFLUX_BUCKET ?? env.INFLUX_DATABASE };
  if (!env.INFLUX_ORG) throw missing('INFLUX_ORG');
  if (!env.INFLUX_BUCKET) throw missing('INFLUX_BUCKET');
  return { api, url, token: env.INFLUX_TOKEN, org: env.INFLUX_ORG, bucket: env.INFLUX_BUCKET };
}

/** Builds the hub's settings from an environment (process.env) and overrides (CLI flags). */
export function loadHubConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<Record<keyof z.infer<typeof hubEnvSchema>, string>> = {},
): HubConfig {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  // Docker-style secrets: VAR_FILE names a file holding VAR, so secrets stay out of the environment.
  for (const key of SECRET_VARIABLES) {
    const file = merged[`${key}_FILE`];
    if (merged[key] || !file) continue;
    try {
      merged[key] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new HubConfigError(`${key}_FILE: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  // Treat empty variables as unset (`PORT= npm run hub`).
  for (const key of Object.keys(merged)) if (merged[key] === '') delete merged[key];
  const parsed = hubEnvSchema.safeParse(merged);
  if (!parsed.success) throw new HubConfigError(formatIssues(parsed.error));
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    throw new HubConfigError(
      `${e.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}: required with the other TLS file`,
    );
  }
  const readPem = (name: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new HubConfigError(`${name}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const tls =
    e.TLS_CERT_FILE && e.TLS_KEY_FILE
      ? {
          cert: readPem('TLS_CERT_FILE', e.TLS_CERT_FILE),
          key: readPem('TLS_KEY_FILE', e.TLS_KEY_FILE),
          mqttPort: e.MQTT_TLS_PORT,
        }
      : undefined;
  return {
    demo: e.CARETAKER_DEMO,
    http: { host: e.HOST, port: e.PORT },
    mqtt: {
      host: e.MQTT_HOST,
      port: e.MQTT_PORT,
      ...(e.MQTT_URL
        ? {
            external: {
              url: e.MQTT_URL,
              ...(e.MQTT_USERNAME !== undefined ? { username: e.MQTT_USERNAME } : {}),
              ...(e.MQTT_PASSWORD !== undefined ? { password: e.MQTT_PASSWORD } : {}),
              clientId: e.MQTT_CLIENT_ID,
              ...(e.MQTT_SHARED_GROUP !== undefined ? { sharedGroup: e.MQTT_SHARED_GROUP } : {}),
            },
          }
        : {}),
    },
    dataDir,
    ...(tls ? { tls } : {}),
    ...(e.HUB_PUBLIC_URL ? { publicUrl: e.HUB_PUBLIC_URL.replace(/\/+$/, '') } : {}),
    mqttWsPath: e.MQTT_WS_PATH,
    journal: { maxReadings: e.JOURNAL_MAX_READINGS, durability: e.JOURNAL_DURABILITY },
    store: e.INFLUX_URL
      ? { kind: 'influxdb', influx: influxConfig(e, e.INFLUX_URL.replace(/\/+$/, '')) }
      : { kind: 'sqlite', path: resolve(dataDir, 'readings.db') },
    maintenance: {
      database: e.DATABASE_URL
        ? { kind: 'postgres', url: e.DATABASE_URL }
        : { kind: 'sqlite', path: resolve(dataDir, 'caretaker.db') },
      ...(e.HUB_RULES_FILE ? { rulesFile: resolve(e.HUB_RULES_FILE) } : {}),
      ...(e.HUB_SERVICE_LEVELS_FILE ? { serviceLevelsFile: resolve(e.HUB_SERVICE_LEVELS_FILE) } : {}),
      ...(e.HUB_DISPATCH_FILE ? { dispatchFile: resolve(e.HUB_DISPATCH_FILE) } : {}),
      ...(e.HUB_PLANS_FILE
        ? { plansFile: resolve(e.HUB_PLANS_FILE) }
        : e.CARETAKER_DEMO
          ? { plansFile: DEMO_PLANS_FILE }
          : {}),
      ...(e.HUB_WORKFLOW_FILE ? { workflowFile: resolve(e.HUB_WORKFLOW_FILE) } : {}),
      dataDir,
      ...(e.HUB_ASSETS_FILE
        ? { assetsFile: resolve(e.HUB_ASSETS_FILE) }
        : e.CARETAKER_DEMO
          ? { assetsFile: DEMO_ASSETS_FILE }
          : {}),
    },
  };
}
