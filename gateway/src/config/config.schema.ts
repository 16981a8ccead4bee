import {
  byteOrderSchema,
  deviceTypeSchema,
  idSchema,
  MODBUS_DATA_TYPES,
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
function boolean(value: unknown): unknown {
  return value === 'true' ? true : value === 'false' ? false : value;
}
const int = (min: number, max: number) => z.preprocess(numeric, z.number().int().min(min).max(max));
const num = (min: number, max: number) => z.preprocess(numeric, z.number().min(min).max(max));
const bool = () => z.preprocess(boolean, z.boolean());

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
    /** QoS 1 publishes awaiting PUBACK at most; beyond it batches wait in the spool. */
    max_inflight: int(1, 65535).default(1000),
    /**
     * Removed. The spool (spool.max_bytes, spool.max_age_s) bounds the batches waiting to go out,
     * and max_inflight the publishes awaiting PUBACK; there is no other queue to bound. Refused
     * with that advice, not ignored, so nobody counts on a limit that does not apply.
     */
    max_queued_messages: z
      .never({
        error:
          'removed: batches wait in the spool (bounded by spool.max_bytes and spool.max_age_s) and mqtt.max_inflight bounds the publishes awaiting acknowledgement; delete this key',
      })
      .optional(),
  })
  .strict();

const spoolSchema = z
  .object({
    /** `sqlite` (a file in data_dir, survives restarts) or `memory` (no disk writes, lost on restart). */
    storage: z.enum(['sqlite', 'memory']).default('sqlite'),
    /** Payload bytes kept at most; the oldest batches are dropped beyond it. */
    max_bytes: int(1024, Number.MAX_SAFE_INTEGER).default(256 * 1024 * 1024),
    /** Batches older than this are dropped, seconds. */
    max_age_s: int(1, 10 * 365 * 86_400).default(7 * 86_400),
    /** How often new batches are committed to the spool: the most a `kill -9` can lose. */
    flush_interval_ms: int(10, 1000).default(200),
    /** Historical batches replayed per second once the broker is back. */
    replay_rate: int(1, 100_000).default(500),
  })
  .strict();

const hostPortPattern =
  /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:(?<port>\d{1,5}))?$/;
const hostPort = (example: string) =>
  z
    .string()
    .regex(hostPortPattern, `must be host:port, e.g. ${example}`)
    .refine((value) => {
      const port = hostPortPattern.exec(value)?.groups?.port;
      return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
    }, 'port must be 1-65535');

const metricsSchema = z
  .object({
    /** `host:port` of the Prometheus endpoint (`/metrics`); off when absent. */
    listen: hostPort('127.0.0.1:9464').optional(),
    /** Seconds between statistics published on the stats topic; 0 turns them off. */
    stats_interval_s: int(0, 86_400).default(10),
  })
  .strict();

/** Acquisition settings a device sets for all its points and a point may override. */
const acquisition = {
  /** Poll period of the point (its scan class), ms. */
  poll_interval_ms: int(100, 86_400_000).optional(),
  /** Publish a value only when it changed (by more than `deadband`), or on the heartbeat. */
  report_on_change: bool().optional(),
  /** Smallest change worth publishing, in engineering units; implies report_on_change. */
  deadband: num(0, Number.MAX_VALUE).optional(),
  /** With report_on_change: publish the value anyway after this many seconds without a change. */
  heartbeat_s: int(0, 86_400).optional(),
};
const pointOptionsSchema = z.object(acquisition).strict();

/** A Modbus point: the profile format plus strings, 1-based addresses and acquisition options. */
export const gatewayModbusPointSchema = modbusPointSchema
  .extend({
    type: z.enum([...MODBUS_DATA_TYPES, 'string']).default('uint16'),
    /** Registers of a `string` point (2 characters each). */
    length: int(1, 125).optional(),
    /** Overrides the device's `address_base` for this point. */
    address_base: z.union([z.literal(0), z.literal(1)]).optional(),
    ...acquisition,
  })
  .strict();

export const gatewayOpcuaPointSchema = opcuaPointSchema.extend(acquisition).strict();

const writableSchema = z
  .object({
    /** Name of the point that commands may write. */
    point: idSchema,
    /** Engineering-value limits; a command outside them is rejected. */
    min: num(-Number.MAX_VALUE, Number.MAX_VALUE).optional(),
    max: num(-Number.MAX_VALUE, Number.MAX_VALUE).optional(),
    /** Read the point back after writing and compare (a command may turn it off). Default true. */
    verify: bool().default(true),
  })
  .strict()
  .refine((w) => w.min === undefined || w.max === undefined || w.min <= w.max, {
    message: 'min must not exceed max',
    path: ['min'],
  });

const deviceBase = {
  id: idSchema,
  /** Name of a profile file in `profiles_dir`, without `.yaml`. */
  profile: idSchema.optional(),
  device_type: deviceTypeSchema.optional(),
  poll_interval_ms: int(100, 86_400_000).default(1000),
  timeout_ms: int(10, 600_000).default(1000),
  report_on_change: bool().default(false),
  deadband: num(0, Number.MAX_VALUE).optional(),
  heartbeat_s: int(0, 86_400).default(60),
  /** Consecutive failed polls before an online device is reported offline. */
  offline_after_failures: int(1, 1000).default(2),
  /** Longest wait between retries of a failing device, ms (exponential backoff with jitter). */
  max_backoff_ms: int(100, 3_600_000).default(3_000),
  /** Acquisition options of profile points, by point name. */
  point_options: z.record(idSchema, pointOptionsSchema).optional(),
  /** The allow-list of points commands may write, with their limits. */
  writable: z.array(writableSchema).optional(),
};

const modbusCommon = {
  ...deviceBase,
  word_order: byteOrderSchema.optional(),
  byte_order: byteOrderSchema.optional(),
  /** 0: addresses are protocol addresses (40001 is holding 0); 1: 1-based register numbers. */
  address_base: z.union([z.literal(0), z.literal(1)]).default(0),
  /** Registers per FC03/FC04 read; lower it for devices that accept fewer than the spec's 125. */
  max_registers_per_read: int(1, 125).default(125),
  /** Bits per FC01/FC02 read (spec maximum 2000). */
  max_bits_per_read: int(1, 2000).default(2000),
  /** Unused registers a read may span to save a round trip; default by transport. */
  max_gap_registers: int(0, 124).optional(),
  /** Pause between two requests to this device, ms (for devices that need it). */
  request_delay_ms: int(0, 60_000).default(0),
  points: z.array(gatewayModbusPointSchema).optional(),
};

const modbusTcpDeviceSchema = z
  .object({
    ...modbusCommon,
    protocol: z.literal('modbus-tcp'),
    endpoint: hostPort('192.168.1.20:502'),
    /** Modbus unit identifier; 1-247 are the individually addressable ones (Modbus over Serial Line v1.02 §2.2). */
    unit_id: int(1, 247).default(1),
  })
  .strict();

/** Modbus RTU frames over a TCP socket (a transparent serial-to-Ethernet converter). */
const modbusRtuTcpDeviceSchema = z
  .object({
    ...modbusCommon,
    protocol: z.literal('modbus-rtu-tcp'),
    endpoint: hostPort('192.168.1.30:4001'),
    unit_id: int(1, 247).default(1),
  })
  .strict();

const serialSchema = z
  .object({
    baud_rate: int(300, 921_600).default(9600),
    data_bits: z.union([z.literal(7), z.literal(8)]).default(8),
    /** Modbus over Serial Line v1.02 §2.5.1: even parity is the default of the spec. */
    parity: z.enum(['none', 'even', 'odd']).default('even'),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();

const modbusRtuDeviceSchema = z
  .object({
    ...modbusCommon,
    protocol: z.literal('modbus-rtu'),
    /** The serial port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/... */
    endpoint: z.string().regex(/^\/\S+$/, 'must be a serial device path such as /dev/ttyUSB0'),
    serial: serialSchema.prefault({}),
    unit_id: int(1, 247).default(1),
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
    /** `subscription`: monitored items report changes (default); `poll`: Read every poll interval. */
    mode: z.enum(['subscription', 'poll']).default('subscription'),
    /** A source timestamp further ahead of the gateway's clock than this is not trusted, ms. */
    max_clock_skew_ms: int(0, 86_400_000).default(5_000),
    points: z.array(gatewayOpcuaPointSchema).optional(),
  })
  .strict();

export const deviceConfigSchema = z.discriminatedUnion('protocol', [
  modbusTcpDeviceSchema,
  modbusRtuTcpDeviceSchema,
  modbusRtuDeviceSchema,
  opcuaDeviceSchema,
]);

export const gatewayConfigSchema = z
  .object({
    site: idSchema,
    gateway: idSchema,
    // prefault: an absent section is parsed as {} so the defaults inside apply.
    mqtt: mqttSchema.prefault({}),
    spool: spoolSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    /** Folder of profile YAML files; relative paths are resolved against the config file's folder. */
    profiles_dir: z.string().min(1).optional(),
    /** Folder for the gateway's own files (spool, OPC UA client PKI); default in the OS temp folder. */
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
export type GatewayModbusPoint = z.output<typeof gatewayModbusPointSchema>;
export type GatewayOpcuaPoint = z.output<typeof gatewayOpcuaPointSchema>;
export type PointOptions = z.output<typeof pointOptionsSchema>;

/** The nested sections, for the test that checks the sample documents every key. */
export const configSections = {
  mqtt: mqttSchema,
  spool: spoolSchema,
  metrics: metricsSchema,
  serial: serialSchema,
  writable: writableSchema,
  modbus_point: gatewayModbusPointSchema,
  opcua_point: gatewayOpcuaPointSchema,
} as const;

/** Splits a validated `host:port` endpoint (IPv6 in brackets). */
export function parseHostPort(
  endpoint: string,
  defaultPort = MODBUS_TCP_DEFAULT_PORT,
): { host: string; port: number } {
  const groups = hostPortPattern.exec(endpoint)?.groups;
  const host = (groups?.host ?? endpoint).replace(/^\[(.*)\]$/, '$1');
  const port = groups?.port === undefined ? defaultPort : Number(groups.port);
  return { host, port };
}
