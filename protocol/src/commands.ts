import { z } from 'zod';
import { idSchema } from './ids.js';
import { epochMsSchema, PROTOCOL_VERSION } from './payloads.js';

/**
 * Writes to devices (start/stop a pump, reset a fault, change a setpoint). The hub (or an
 * operator's tool) publishes a request on `device/<device>/command` (QoS 1, not retained); the
 * gateway checks it against its allow-list and range limits, writes, reads the point back when
 * asked to, and answers on `device/<device>/response` with the same `id`.
 */

/** Correlation id chosen by the requester: echoed in the response, and used to drop duplicates. */
export const commandIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -');

export const commandRequestSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    id: commandIdSchema,
    /** The point to write, by its name in the gateway's configuration. */
    point: idSchema,
    /** Engineering value (scale and offset are undone by the gateway); a boolean for coils and bits. */
    value: z.union([z.number().finite(), z.boolean()]),
    /** When the request was made, epoch ms. */
    ts: epochMsSchema,
    /**
     * The request is refused as `expired` when it reaches the gateway later than this after `ts`
     * (a command queued during an outage must not start a pump hours later). Default 30 000.
     */
    ttl_ms: z.number().int().min(1).max(3_600_000).optional(),
    /** Read the point back after writing and compare (default true). */
    verify: z.boolean().optional(),
  })
  .strict();
export type CommandRequest = z.infer<typeof commandRequestSchema>;

export const COMMAND_STATUSES = ['ok', 'rejected', 'failed'] as const;

export const commandResponseSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    /** The request's id. */
    id: commandIdSchema,
    device: idSchema,
    point: idSchema,
    /**
     * ok: written (and read back equal, when verified); rejected: not attempted (not allowed, out
     * of range, expired, malformed, unknown device or point); failed: attempted, but the device did
     * not take it or the read-back differs.
     */
    status: z.enum(COMMAND_STATUSES),
    /** When the gateway answered, epoch ms. */
    ts: epochMsSchema,
    /** The value read back after the write (when verified). */
    value: z.union([z.number().finite(), z.boolean()]).optional(),
    error: z.string().max(500).optional(),
  })
  .strict();
export type CommandResponse = z.infer<typeof commandResponseSchema>;
