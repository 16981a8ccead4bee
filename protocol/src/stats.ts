import { z } from 'zod';
import { idSchema } from './ids.js';
import { deviceHealthSchema, epochMsSchema, PROTOCOL_VERSION } from './payloads.js';

/**
 * A gateway's own health, published periodically on `<gateway>/stats` (QoS 0, not retained) and
 * mirrored on its Prometheus `/metrics` endpoint. Counters are totals since the process started
 * (the spool's drop counter since the spool was created).
 */
const count = z.number().int().nonnegative();
const nonNegative = z.number().nonnegative();

export const deviceStatsSchema = z
  .object({
    state: z.union([deviceHealthSchema, z.literal('unknown')]),
    /** Requests sent (Modbus transactions, OPC UA service calls). */
    requests: count,
    /** Failed requests by kind: `timeout`, `connection`, `exception`, `decode`, `bad_status`, ... */
    errors: z.record(z.string().max(32), count),
    timeouts: count,
    /** Round-trip time percentiles of recent requests, ms; null before the first answer. */
    rtt_ms: z.object({ p50: nonNegative, p90: nonNegative, p99: nonNegative }).strict().nullable(),
    /** When the device last answered a poll, epoch ms; null if never. */
    last_good_ts: epochMsSchema.nullable(),
    /** Scan-class polls that were due while the previous one was still running (skipped). */
    overruns: count,
    /**
     * Why the device is not online, as in its status' `error`: the last failure, points read
     * bad, or a scan class persistently overrunning (e.g. `100 ms scan class overrunning: 50 of
     * 100 polls skipped`).
     */
    reason: z.string().max(500).optional(),
  })
  .strict();
export type DeviceStats = z.infer<typeof deviceStatsSchema>;

export const gatewayStatsSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    ts: epochMsSchema,
    uptime_s: nonNegative,
    spool: z
      .object({
        /** Batches waiting for the broker's acknowledgement. */
        depth: count,
        bytes: count,
        /** Age of the oldest waiting batch, ms; null when the spool is empty. */
        oldest_age_ms: nonNegative.nullable(),
        /** Batches dropped (drop-oldest on the byte or age limit) since the spool was created. */
        dropped: count,
      })
      .strict(),
    publish: z
      .object({
        /** Telemetry batches acknowledged by the broker. */
        acked: count,
        /** Acknowledged batches per second over the last stats interval. */
        rate_per_s: nonNegative,
        /** Historical (replayed) batches acknowledged. */
        replayed: count,
        /** Batches that failed validation and were never sent. */
        invalid: count,
        connected: z.boolean(),
      })
      .strict(),
    process: z
      .object({
        /** Event-loop delay percentile (p99) over the last interval, ms. */
        event_loop_lag_ms: nonNegative,
        rss_bytes: count,
        heap_used_bytes: count,
      })
      .strict(),
    devices: z.record(idSchema, deviceStatsSchema),
  })
  .strict();
export type GatewayStats = z.infer<typeof gatewayStatsSchema>;
