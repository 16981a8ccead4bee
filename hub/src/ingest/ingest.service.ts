import {
  deviceStatusSchema,
  gatewayStatusSchema,
  isValidId,
  type ParseResult,
  parsePayload,
  parseTopic,
  type TelemetryBatch,
  type TopicRef,
  telemetryBatchSchema,
} from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { DeviceRef, LiveStateService } from '../services/live-state.service.js';
import type { DeviceReadings } from '../storage/time-series-store.js';
import type { Journal } from './journal.js';
import { SequenceTracker } from './sequence-tracker.js';

/** Readings from further ahead than this are refused (gateway clocks may drift a little). */
export const MAX_FUTURE_MS = 15 * 60_000;
/** Readings older than this are refused; a gateway's spool replays far less. */
export const MAX_AGE_MS = 366 * 24 * 3_600_000;
/** Parsed topics kept; past it the cache starts over (a gateway publishes to a few topics all day). */
const MAX_CACHED_TOPICS = 10_000;

export interface IngestStats {
  accepted_batches: number;
  accepted_readings: number;
  rejected: number;
  /** Rejections by gateway (or `unknown` when the topic names none) and kind. */
  rejected_by: Record<string, Record<string, number>>;
  /**
   * Batches stored although something is off, by gateway and kind: `withdrawn_device` (a device
   * its gateway no longer announces: a spool replay or a resend after a reload), `unknown_device`
   * (never announced, taken because this hub may not have seen the gateway's latest status).
   */
  flagged_by: Record<string, Record<string, number>>;
  journal_errors: number;
}

export interface IngestOptions {
  journal: Journal;
  live: LiveStateService;
  log: Logger;
  now?: () => number;
  /**
   * Telemetry of a device its gateway never announced (while its announced list is known):
   * `reject` (default) when this hub sees every status message, in order with the telemetry (the
   * embedded broker, or one subscriber of an external one); `flag` (store it, count it) when it
   * may miss some, as a member of a shared subscription, which hands each message, the gateway's
   * statuses included, to one hub of the group.
   */
  unknownDevices?: 'reject' | 'flag';
}

/**
 * Routes every MQTT message by topic to one small handler per message kind. Each payload is
 * validated before any side effect; a bad one is counted and logged once per gateway and
 * kind, and never stops ingest.
 */
export class IngestService {
  readonly stats: IngestStats = {
    accepted_batches: 0,
    accepted_readings: 0,
    rejected: 0,
    rejected_by: {},
    flagged_by: {},
    journal_errors: 0,
  };
  readonly sequences: SequenceTracker;
  private readonly logged = new Set<string>();
  /** Valid topics already parsed: every batch of a device comes on the same topic. */
  private readonly topicRefs = new Map<string, Readonly<TopicRef>>();
  /** Sees every accepted telemetry batch once it is durable (alarm detection). */
  onTelemetry:
    | ((ref: { site: string; gateway: string; device: string }, batch: TelemetryBatch) => void)
    | undefined;

  constructor(private readonly deps: IngestOptions) {
    this.sequences = new SequenceTracker(deps.log);
  }

  /**
   * Handles one MQTT message. For telemetry, resolves once its readings are durable in the
   * journal: the caller acknowledges the message to its publisher only then (at least once).
   * Rejects only if the journal cannot take a valid batch (the publisher will then resend).
   */
  async handle(topic: string, payload: Uint8Array): Promise<void> {
    const ref = this.topicRef(topic);
    if (!ref) {
      // Attribute it to the gateway the topic names, when it names one, so it shows per gateway.
      const named = topic.split('/')[3];
      this.reject(
        named && isValidId(named) ? named : 'unknown',
        'topic',
        `not a Caretaker topic: ${topic.slice(0, 200)}`,
      );
      return;
    }
    switch (ref.kind) {
      case 'telemetry': {
        const batch = this.check(parsePayload(telemetryBatchSchema, payload), ref.gateway, 'telemetry');
        if (!batch) return;
        const absurd = this.absurdTimestamp(batch);
        if (absurd) {
          this.reject(ref.gateway, 'telemetry', absurd);
          return;
        }
        if (batch.device !== ref.device) {
          this.reject(
            ref.gateway,
            'telemetry',
            `device: ${batch.device} does not match the topic's ${ref.device}`,
          );
          return;
        }
        this.sequences.observe(ref, batch.seq);
        if (!this.announced(ref)) return;
        this.deps.live.applyTelemetry(ref, batch);
        return this.accepted(ref, batch, this.journalBatch(ref, batch));
      }
      case 'device_status': {
        const status = this.check(parsePayload(deviceStatusSchema, payload), ref.gateway, 'device_status');
        if (status) this.deps.live.applyDeviceStatus(ref, status);
        return;
      }
      case 'gateway_status': {
        // An empty retained payload clears the retained message; it is not an error.
        if (payload.byteLength === 0) return;
        const status = this.check(parsePayload(gatewayStatusSchema, payload), ref.gateway, 'gateway_status');
        if (status) this.deps.live.applyGatewayStatus(ref, status);
        return;
      }
    }
  }

  private topicRef(topic: string): Readonly<TopicRef> | null {
    const cached = this.topicRefs.get(topic);
    if (cached) return cached;
    const ref = parseTopic(topic);
    if (!ref) return null;
    if (this.topicRefs.size >= MAX_CACHED_TOPICS) this.topicRefs.clear();
    this.topicRefs.set(topic, ref);
    return ref;
  }

  /**
   * Whether to take telemetry of this device, judged by the devices its gateway announces in its
   * online status. Only a device the gateway never named is refused, and only while the hub
   * knows the gateway's list: until its first online status arrives (a hub just restarted gets
   * resent and queued batches first) everything is taken. A device the gateway named earlier and
   * dropped from its list (a configuration reload) is taken and flagged: its spooled backlog, or a
   * batch in flight at the reload, is still real data.
   */
  private announced(ref: DeviceRef): boolean {
    const announcement = this.deps.live.announcement(ref);
    if (announcement === 'announced' || announcement === 'unknown') return true;
    if (announcement === 'never' && (this.deps.unknownDevices ?? 'reject') === 'reject') {
      this.reject(
        ref.gateway,
        'unknown_device',
        `device: ${ref.device} is not among the devices gateway ${ref.gateway} announces in its status`,
      );
      return false;
    }
    const kind = announcement === 'never' ? 'unknown_device' : 'withdrawn_device';
    const byGateway = this.stats.flagged_by[ref.gateway] ?? {};
    this.stats.flagged_by[ref.gateway] = byGateway;
    byGateway[kind] = (byGateway[kind] ?? 0) + 1;
    this.logOnce(`${ref.gateway}:${kind}:flagged`, () =>
      this.deps.log.warn(
        { gateway: ref.gateway, device: ref.device, kind },
        'stored telemetry of a device its gateway does not announce (further ones are counted, not logged)',
      ),
    );
    return true;
  }

  /**
   * Hands the batch to detection at once, then counts it once durable. Detection judges it now
   * rather than after the disk, so no parsed batch waits in memory for the disk: a suspended
   * frame would keep thousands alive through young-generation collections. Judging a reading
   * that then fails to become durable is harmless: it is not acknowledged, the publisher sends
   * it again, and detection skips a time it has already judged.
   */
  private accepted(ref: DeviceRef, batch: TelemetryBatch, durable: Promise<void>): Promise<void> {
    const readings = batch.readings.length;
    if (this.onTelemetry) {
      try {
        this.onTelemetry(ref, batch);
      } catch (err) {
        // Detection must never stop ingest: the reading is stored either way.
        this.logOnce(`detect:${(err as Error).message}`, () =>
          this.deps.log.error({ err }, 'alarm detection failed on a batch'),
        );
      }
    }
    return durable.then(() => this.count(readings));
  }

  private count(readings: number): void {
    this.stats.accepted_batches += 1;
    this.stats.accepted_readings += readings;
  }

  private journalBatch(ref: { site: string; gateway: string }, batch: TelemetryBatch): Promise<void> {
    // The batch's readings as they are: no object per reading on the way to the store.
    const readings: DeviceReadings = {
      site: ref.site,
      gateway: ref.gateway,
      device: batch.device,
      device_type: batch.device_type,
      readings: batch.readings,
    };
    return this.deps.journal.append(readings).catch((err: Error) => {
      this.stats.journal_errors += 1;
      this.logOnce(`journal:${err.message}`, () =>
        this.deps.log.error({ err }, 'the journal refused readings; the publisher will resend them'),
      );
      throw err;
    });
  }

  /** A reading stamped far in the future or long ago is a broken clock, not data. */
  private absurdTimestamp(batch: TelemetryBatch): string | null {
    const now = (this.deps.now ?? Date.now)();
    const { readings } = batch;
    // An indexed loop: entries() would allocate an [index, reading] pair per reading.
    for (let i = 0; i < readings.length; i += 1) {
      const reading = readings[i] as TelemetryBatch['readings'][number];
      if (reading.ts > now + MAX_FUTURE_MS) {
        return `readings.${i}.ts: ${new Date(reading.ts).toISOString()} is more than 15 minutes ahead of the hub's clock`;
      }
      if (reading.ts < now - MAX_AGE_MS) {
        return `readings.${i}.ts: ${new Date(reading.ts).toISOString()} is more than a year old`;
      }
    }
    return null;
  }

  private check<T>(result: ParseResult<T>, gateway: string, kind: string): T | null {
    if (result.ok) return result.value;
    this.reject(gateway, kind, result.error);
    return null;
  }

  private reject(gateway: string, kind: string, error: string): void {
    this.stats.rejected += 1;
    const byGateway = this.stats.rejected_by[gateway] ?? {};
    this.stats.rejected_by[gateway] = byGateway;
    byGateway[kind] = (byGateway[kind] ?? 0) + 1;
    this.logOnce(`${gateway}:${kind}`, () =>
      this.deps.log.warn(
        { gateway, kind, error },
        'rejected a payload (further rejections of this kind are counted, not logged)',
      ),
    );
  }

  private logOnce(key: string, log: () => void): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    log();
  }
}
