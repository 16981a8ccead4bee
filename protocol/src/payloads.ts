import { z } from 'zod';
import { deviceTypeSchema, idSchema } from './ids.js';

/** Wire format version carried in every payload as `v`. A breaking change gets a new one. */
export const PROTOCOL_VERSION = 1;

/** Largest telemetry payload the hub accepts, in bytes. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Epoch milliseconds. */
export const epochMsSchema = z.number().int().nonnegative();

/**
 * good: read and decoded normally; uncertain: read, but the source flagged it (for example
 * an OPC UA Uncertain status); bad: no usable value (the reason says why).
 */
export const qualitySchema = z.enum(['good', 'uncertain', 'bad']);
export type Quality = z.infer<typeof qualitySchema>;

export const readingValueSchema = z.union([z.number().finite(), z.boolean(), z.null()]);
export type ReadingValue = z.infer<typeof readingValueSchema>;

export const readingSchema = z
  .object({
    point: idSchema,
    value: readingValueSchema,
    /** Acquisition (source) timestamp of this value, epoch ms. */
    ts: epochMsSchema,
    quality: qualitySchema,
    unit: z.string().max(32).optional(),
    /** Why the quality is not good, for example `timeout` or `Modbus exception 2`. */
    reason: z.string().max(200).optional(),
  })
  .strict()
  .refine((r) => r.quality === 'bad' || r.value !== null, {
    message: 'a reading of good or uncertain quality needs a value',
    path: ['value'],
  });
export type Reading = z.infer<typeof readingSchema>;

export const telemetryBatchSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    device: idSchema,
    device_type: deviceTypeSchema,
    /** Per-gateway sequence number, increasing by one for each batch the gateway publishes. */
    seq: z.number().int().nonnegative(),
    /** When the gateway published the batch, epoch ms. */
    ts: epochMsSchema,
    readings: z.array(readingSchema).min(1).max(2000),
    /**
     * True when the batch is sent late, from the gateway's store-and-forward spool after the broker
     * was unreachable (or the gateway restarted). Absent or false for live data. Historical batches
     * arrive oldest first but interleaved with live ones, so `seq` is not monotonic across both.
     */
    historical: z.boolean().optional(),
  })
  .strict();
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>;

export const gatewayStatusSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    state: z.enum(['online', 'offline']),
    ts: epochMsSchema,
    version: z.string().max(64).optional(),
    devices: z.array(idSchema).max(10000).optional(),
  })
  .strict();
export type GatewayStatus = z.infer<typeof gatewayStatusSchema>;

/** online: answering normally; degraded: answering, but not all is well; offline: not answering. */
export const deviceHealthSchema = z.enum(['online', 'degraded', 'offline']);
export type DeviceHealth = z.infer<typeof deviceHealthSchema>;

export const deviceStatusSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    device: idSchema,
    device_type: deviceTypeSchema,
    state: z.enum(['online', 'offline']),
    ts: epochMsSchema,
    /** The last error when offline, for example `connect ECONNREFUSED 127.0.0.1:5020`. */
    error: z.string().max(500).optional(),
    /**
     * Finer than `state`: `degraded` is a device that is `online` but not healthy (some points bad,
     * or recent polls failed without yet reaching the offline threshold); `error` then says why.
     */
    health: deviceHealthSchema.optional(),
    /**
     * Slow-changing text values of the device (serial number, firmware version, fault text) that
     * are not telemetry: a reading's value is a number or a boolean.
     */
    attributes: z.record(idSchema, z.string().max(256)).optional(),
  })
  .strict();
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Formats validation issues as `path.to.field: message; ...` so every error names its field. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Each schema compiled on first use by zod's ahead-of-time compiler (`z.compile`, zod 4.5+): a
 * flat generated check runs first, and only a payload it refuses goes through the runtime
 * parser, so results and error messages are those of the schema itself. Lazy, so code that
 * never validates (the dashboard) never generates code.
 */
const compiledSchemas = new WeakMap<z.ZodType, z.ZodType>();

function compiled<T>(schema: z.ZodType<T>): z.ZodType<T> {
  let fast = compiledSchemas.get(schema) as z.ZodType<T> | undefined;
  if (!fast) {
    fast = z.compile(schema);
    compiledSchemas.set(schema, fast);
  }
  return fast;
}

const utf8 = new TextDecoder();

/** Validates already-decoded data against a schema. */
export function validate<T>(schema: z.ZodType<T>, data: unknown): ParseResult<T> {
  const result = compiled(schema).safeParse(data);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: formatIssues(result.error) };
}

/** Decodes and validates an MQTT payload (UTF-8 JSON). Never throws. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: Uint8Array | string): ParseResult<T> {
  const size = typeof payload === 'string' ? payload.length : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return { ok: false, error: `(root): payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  }
  let data: unknown;
  try {
    const text = typeof payload === 'string' ? payload : utf8.decode(payload);
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `(root): malformed JSON: ${(err as Error).message}` };
  }
  return validate(schema, data);
}
