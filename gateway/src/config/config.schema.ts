import {
  byteOrderSchema,
  deviceTypeSchema,
  idSchema,
  modbusPointSchema,
  opcuaPointSchema,
} from '@caretaker/protocol';
import { z } from 'zod';

/**
 * The gateway configuration file (YAML), the one source of truth for its keys, types, defaults and
 * ranges. `config/sample.yaml` documents every key and a test checks it against this schema.
 * Keys are snake_case like every wire and YAML key in Caretaker.
 */

// Environment interpolation yields strings, so numeric keys also accept a numeric string:
// `poll_interval_ms: ${POLL_MS:-1000}` must work.
function numeric(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}
const int = (min: number, max: number) => z.preprocess(numeric, z.number().int().min(min).max(max));

export const DEFAULT_MQTT_URL = 'mqtt://localhost:1883';
/** Modbus/TCP's registered port (Modbus Messaging on TCP/IP Implementation Guide v1.0b §3.1.3). */
export const MODBUS_TCP_DEFAULT_PORT = 502;

const mqttSchema = z
  .object({
    url: z
      .string()
      .regex(
        /^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/,
        'must be a broker URL such as mqtt://host:1883 or mqtts://host:8883',
      )
      .default(DEFAULT_MQTT_URL),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** Default `caretaker-<site>-<gateway>`. */
    client_id: z.string().min(1).max(128).optional(),
    /** MQTT 3.1.1 §3.1.2.10: a 16-bit number of seconds; 0 turns keep-alive off. */
    keepalive_s: int(0, 65535).default(30),
    /** Messages held in memory while the broker is unreachable; the oldest are dropped beyond it. */
    max_queued_messages: int(1, 1_000_000).default(10_000),
  })
  .strict();

const hostPort = /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:(?<port>\d{1,5}))?$/;

const deviceBase = {
  id: idSchema,
  /** Name of a profile file in `profiles_dir`, without `.yaml`. */
  profile: idSchema.optional(),
  device_type: deviceTypeSchema.optional(),
  poll_interval_ms: int(100, 86_400_000).default(1000),
  timeout_ms: int(10, 600_000).default(1000),
};

const modbusDeviceSchema = z
  .object({
    ...deviceBase,
    protocol: z.literal('modbus-tcp'),
    endpoint: z
      .string()
      .regex(hostPort, 'must be host:port, e.g. 192.168.1.20:502')
      .refine((value) => {
        const port = hostPort.exec(value)?.groups?.port;
        return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
      }, 'port must be 1-65535'),
    /** Modbus unit identifier; 1-247 are the individually addressable ones (Modbus over Serial Line v1.02 §2.2). */
    unit_id: int(1, 247).default(1),
    word_order: byteOrderSchema.optional(),
    byte_order: byteOrderSchema.optional(),
    points: z.array(modbusPointSchema).optional(),
  })
  .strict();

const opcuaDeviceSchema = z
  .object({
    ...deviceBase,
    protocol: z.literal('opcua'),
    endpoint: z
      .string()
      .regex(
        /^opc\.tcp:\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/,
        'must be an OPC UA URL such as opc.tcp://host:4840',
      ),
    points: z.array(opcuaPointSchema).optional(),
  })
  .strict();

export const deviceConfigSchema = z.discriminatedUnion('protocol', [modbusDeviceSchema, opcuaDeviceSchema]);

export const gatewayConfigSchema = z
  .object({
    site: idSchema,
    gateway: idSchema,
    // prefault: an absent `mqtt:` section is parsed as {} so the defaults inside apply.
    mqtt: mqttSchema.prefault({}),
    /** Folder of profile YAML files; relative paths are resolved against the config file's folder. */
    profiles_dir: z.string().min(1).optional(),
    /** Folder for the gateway's own files (OPC UA client PKI); default in the OS temp folder. */
    data_dir: z.string().min(1).optional(),
    devices: z.array(deviceConfigSchema).min(1, 'at least one device is required'),
  })
  .strict()
  .superRefine(
    (config, ctx) => {
      // Runs even when other keys are invalid (see `when`), so the data may be partly malformed.
      const devices: unknown[] = Array.isArray(config.devices) ? config.devices : [];
      const firstIndex = new Map<string, number>();
      devices.forEach((device, index) => {
        const id = (device as { id?: unknown } | null)?.id;
        if (typeof id !== 'string') return;
        const first = firstIndex.get(id);
        if (first === undefined) {
          firstIndex.set(id, index);
        } else {
          ctx.addIssue({
            code: 'custom',
            path: ['devices', index, 'id'],
            message: `duplicate device id "${id}" (also devices.${first}.id)`,
          });
        }
      });
    },
    // Report duplicates together with every other error, not only once the rest is valid.
    { when: () => true },
  );

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type DeviceConfig = z.output<typeof deviceConfigSchema>;
export type MqttConfig = z.output<typeof mqttSchema>;

/** Splits a validated `host:port` endpoint (IPv6 in brackets). */
export function parseHostPort(endpoint: string): { host: string; port: number } {
  const groups = hostPort.exec(endpoint)?.groups;
  const host = (groups?.host ?? endpoint).replace(/^\[(.*)\]$/, '$1');
  const port = groups?.port === undefined ? MODBUS_TCP_DEFAULT_PORT : Number(groups.port);
  return { host, port };
}
