import {
  type CommandResponse,
  commandResponseSchema,
  type DeviceStatus,
  deviceStatusSchema,
  type GatewayStats,
  type GatewayStatus,
  gatewayStatsSchema,
  gatewayStatusSchema,
  PROTOCOL_VERSION,
  parseTopic,
  type TelemetryBatch,
  telemetryBatchSchema,
  topics,
  validate,
} from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { ResolvedMqttConfig } from '../config/resolved-config.js';
import { withTimeout } from '../pipeline/with-timeout.js';
import type { DropReport, NewSpoolEntry, Spool, SpoolEntry } from '../spool/spool.js';
import type { CommandHandler, DeviceStatusRecord, Output, TelemetryRecord } from './output.js';
import { TokenBucket } from './token-bucket.js';

export interface ForwardingOptions {
  /** How often pending batches are committed to the spool (and published), ms. */
  flushIntervalMs: number;
  /** Historical batches replayed per second after an outage. */
  replayRatePerS: number;
  /** Unacknowledged QoS 1 publishes at most (live and replay together). */
  maxInflight: number;
}

export interface MqttOutputOptions {
  site: string;
  gateway: string;
  mqtt: ResolvedMqttConfig;
  /** Where every batch waits for its acknowledgement; owned (opened, closed) by the caller. */
  spool: Spool;
  forwarding: ForwardingOptions;
  /** Device ids announced in the online status. */
  devices: readonly string[];
  /** Gateway software version announced in the online status. */
  version: string;
  now: () => number;
  logger: Logger;
  /** Between reconnection attempts while the broker is away, ms (default 2000; tests shorten it). */
  reconnectPeriodMs?: number;
}

export interface MqttOutputStats {
  connected: boolean;
  /** Telemetry batches acknowledged by the broker. */
  acked: number;
  /** Of which replayed from the backlog (historical). */
  replayed: number;
  /** Batches published and not yet acknowledged. */
  inflight: number;
  /** Batches built and not yet committed to the spool. */
  pending: number;
  /** Batches never sent: invalid ones, and those lost while the spool could not be written. */
  invalid: number;
  /** Batches in the spool, their bytes, the oldest one's build time. */
  spoolDepth: number;
  spoolBytes: number;
  spoolOldestTs: number | undefined;
  /** Batches the spool's limits dropped (since the spool was created). */
  dropped: number;
  /** The sequence number the next batch gets. */
  seq: number;
}

// Between reconnection attempts while the broker is away.
const RECONNECT_PERIOD_MS = 2_000;
// start() waits this long for the first connection; after that the gateway runs on (spooling)
// and mqtt.js keeps trying in the background.
const FIRST_CONNECT_WAIT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
// How often the replay looks for backlog to send, ms.
const REPLAY_TICK_MS = 50;
// Commit early when this many batches are pending, whatever the interval.
const MAX_PENDING = 2_000;
// Age limit is enforced at least this often even when nothing is written.
const TRIM_INTERVAL_MS = 1_000;
// Readings per telemetry batch at most.
const MAX_BATCH_READINGS = 1000;
// Rows read from the spool per replay query.
const REPLAY_PAGE = 256;
// Strip the password from the broker URL before it reaches a log line.
const redact = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//***@');

/**
 * Publishes to the Caretaker topic tree (protocol/src/topics.ts), with store and forward:
 *
 * - every telemetry batch is committed to the spool (on disk by default) before it is published,
 *   at most `flushIntervalMs` after it was built (the most a `kill -9` can lose), and removed only
 *   when the broker acknowledges it (QoS 1 PUBACK);
 * - while connected, new batches are published at once ("live");
 * - whatever is in the spool and not in flight after a (re)connect (the backlog of an outage, of
 *   a restart, or live batches that found the in-flight window full) is replayed oldest first,
 *   marked `historical: true`, at `replayRatePerS`, while live batches keep going out;
 * - the spool is bounded by bytes and age, dropping the oldest; every drop is counted and logged.
 *
 * Also: gateway status, retained, `online` on every (re)connect and `offline` on a clean stop and
 * as the Last Will (MQTT 3.1.1 §3.1.2.5); device status, retained, on change and after each
 * reconnect; statistics (QoS 0); the command subscription and its responses.
 */
export class MqttOutput implements Output {
  readonly #opts: MqttOutputOptions;
  readonly #spool: Spool;
  readonly #statusTopic: string;
  readonly #deviceStatus = new Map<string, { topic: string; payload: string }>();
  readonly #log: Logger;
  readonly #replayBucket: TokenBucket;
  #devices: readonly string[];
  #client: MqttClient | undefined;
  #pending: NewSpoolEntry[] = [];
  /** Published, waiting for PUBACK: seq → payload bytes. */
  readonly #inflight = new Map<number, number>();
  /** Acknowledged, not yet removed from the spool. */
  #acked = new Set<number>();
  #flushTimer: NodeJS.Timeout | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  /** Highest seq the replay has looked at since the last (re)connect. */
  #replayCursor = -1;
  /** Whether the spool may hold something to replay beyond the cursor. */
  #backlogPossible = true;
  #lastTrim = 0;
  #ackedCount = 0;
  #replayedCount = 0;
  #invalid = 0;
  /** Batches lost because the spool could not be written and memory filled up. */
  #lostInMemory = 0;
  #outage = false;
  #stopping = false;
  #commandHandler: CommandHandler | undefined;
  #commandFilter: string;

  constructor(options: MqttOutputOptions) {
    this.#opts = options;
    this.#spool = options.spool;
    this.#log = options.logger;
    this.#devices = options.devices;
    this.#statusTopic = topics.gatewayStatus(options.site, options.gateway);
    this.#commandFilter = topics.gatewayCommands(options.site, options.gateway);
    const rate = options.forwarding.replayRatePerS;
    this.#replayBucket = new TokenBucket({
      ratePerS: rate,
      burst: Math.max(1, Math.ceil((rate * REPLAY_TICK_MS * 2) / 1000)),
      now: () => performance.now(),
    });
  }

  /** The mqtt.js client (undefined before start); exposed for tests and diagnostics. */
  get client(): MqttClient | undefined {
    return this.#client;
  }

  get stats(): MqttOutputStats {
    return {
      connected: this.#client?.connected === true,
      acked: this.#ackedCount,
      replayed: this.#replayedCount,
      inflight: this.#inflight.size,
      pending: this.#pending.length,
      invalid: this.#invalid + this.#lostInMemory,
      spoolDepth: this.#spool.depth,
      spoolBytes: this.#spool.bytes,
      spoolOldestTs: this.#spool.oldestTs(),
      dropped: this.#spool.dropped,
      seq: this.#spool.nextSeq,
    };
  }

  setCommandHandler(handler: CommandHandler): void {
    this.#commandHandler = handler;
  }

  async start(): Promise<void> {
    const { mqtt } = this.#opts;
    this.#stopping = false;
    const options: IClientOptions = {
      clientId: mqtt.client_id,
      keepalive: mqtt.keepalive_s,
      // A clean session: the gateway republishes its state and subscribes again on every connect.
      // Unacknowledged publishes are still resent by mqtt.js after a reconnect (its outgoing
      // store), and the spool covers a restart.
      clean: true,
      reconnectPeriod: this.#opts.reconnectPeriodMs ?? RECONNECT_PERIOD_MS,
      connectTimeout: FIRST_CONNECT_WAIT_MS,
      resubscribe: false,
      will: this.#will(),
      ...(mqtt.username === undefined ? {} : { username: mqtt.username }),
      ...(mqtt.password === undefined ? {} : { password: mqtt.password }),
    };
    const client = connect(mqtt.url, options);
    this.#client = client;
    client.on('connect', () => this.#onConnect(client));
    // Refresh the will's timestamp for each attempt: it then says when this connection began.
    client.on('reconnect', () => {
      client.options.will = this.#will();
    });
    client.on('close', () => {
      if (!this.#outage && !client.disconnecting) {
        this.#outage = true;
        this.#log.warn({ url: redact(mqtt.url) }, 'broker connection lost; spooling telemetry');
      }
    });
    client.on('error', (err) => {
      // mqtt.js reports each failed attempt; say it once per outage.
      if (!this.#outage) this.#log.warn({ err: err.message, url: redact(mqtt.url) }, 'broker unreachable');
      this.#outage = true;
    });
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));

    this.#flushTimer = setInterval(() => this.#flush(), this.#opts.forwarding.flushIntervalMs);
    this.#replayTimer = setInterval(() => this.#replay(), REPLAY_TICK_MS);

    // Wait for the first connection, or the first sign that the broker is away, not longer: the
    // drivers should start collecting (into the spool) even when the broker is down at boot.
    const settled = new Promise<void>((resolve) => {
      const done = () => {
        client.off('connect', done);
        client.off('error', done);
        client.off('close', done);
        resolve();
      };
      client.on('connect', done);
      client.on('error', done);
      client.on('close', done);
    });
    await withTimeout(settled, FIRST_CONNECT_WAIT_MS, 'first connect').catch(() => {});
  }

  writeTelemetry(record: TelemetryRecord): void {
    if (this.#stopping) return;
    // A batch carries at most MAX_BATCH_READINGS (the wire limit is 2000, and the payload must stay
    // well under the hub's 256 KiB): a larger scan class goes out as several batches.
    if (record.readings.length > MAX_BATCH_READINGS) {
      for (let from = 0; from < record.readings.length; from += MAX_BATCH_READINGS) {
        this.writeTelemetry({ ...record, readings: record.readings.slice(from, from + MAX_BATCH_READINGS) });
      }
      return;
    }
    const ts = Math.round(this.#opts.now());
    const batch: TelemetryBatch = {
      v: PROTOCOL_VERSION,
      device: record.device,
      device_type: record.device_type,
      seq: 0,
      ts,
      readings: record.readings,
    };
    // Validate before spooling: an invalid batch would be rejected by the hub anyway, and here the
    // log line names the gateway-side cause. A sequence number is only given to valid batches.
    const checked = validate(telemetryBatchSchema, batch);
    if (!checked.ok) {
      this.#invalid += 1;
      this.#log.error({ device: record.device, error: checked.error }, 'dropping an invalid telemetry batch');
      return;
    }
    // Serialised now, so that only one string per batch waits for the next commit (not every
    // reading object: that would keep the heap large at high rates). The sequence number goes in
    // at commit; the key order is the batch's.
    const head = `{"v":${PROTOCOL_VERSION},"device":${JSON.stringify(batch.device)},"device_type":${JSON.stringify(batch.device_type)},"seq":`;
    const tail = `,"ts":${ts},"readings":${JSON.stringify(batch.readings)}}`;
    this.#pending.push({
      ts,
      topic: topics.telemetry(this.#opts.site, this.#opts.gateway, record.device),
      payload: (seq) => head + seq + tail,
    });
    if (this.#pending.length >= MAX_PENDING) this.#flush();
  }

  writeDeviceStatus(record: DeviceStatusRecord): void {
    const status: DeviceStatus = {
      v: PROTOCOL_VERSION,
      device: record.device,
      device_type: record.device_type,
      state: record.state,
      ts: Math.round(record.ts),
      ...(record.error === undefined ? {} : { error: record.error.slice(0, 500) }),
      ...(record.health === undefined ? {} : { health: record.health }),
      ...(record.attributes === undefined ? {} : { attributes: record.attributes }),
    };
    const checked = validate(deviceStatusSchema, status);
    if (!checked.ok) {
      this.#invalid += 1;
      this.#log.error({ device: record.device, error: checked.error }, 'dropping an invalid device status');
      return;
    }
    const message = {
      topic: topics.deviceStatus(this.#opts.site, this.#opts.gateway, record.device),
      payload: JSON.stringify(status),
    };
    // Only the latest status of a device matters (it is retained): no spool, just remember it.
    this.#deviceStatus.set(record.device, message);
    const client = this.#client;
    if (client?.connected === true) client.publish(message.topic, message.payload, { qos: 1, retain: true });
  }

  /** The devices announced in the online status; announced again now if connected. */
  setDevices(devices: readonly string[]): void {
    this.#devices = [...devices];
    const client = this.#client;
    if (client?.connected === true)
      client.publish(this.#statusTopic, JSON.stringify(this.#online()), { qos: 1, retain: true });
  }

  /** Removes a device's retained status (the device left the configuration). */
  forgetDevice(device: string): void {
    this.#deviceStatus.delete(device);
    const client = this.#client;
    // An empty retained payload deletes the retained message (MQTT 3.1.1 §3.3.1.3).
    if (client?.connected === true)
      client.publish(topics.deviceStatus(this.#opts.site, this.#opts.gateway, device), '', {
        qos: 1,
        retain: true,
      });
  }

  writeStats(stats: GatewayStats): void {
    const client = this.#client;
    if (client?.connected !== true) return; // a snapshot: no point in sending it late
    const checked = validate(gatewayStatsSchema, stats);
    if (!checked.ok) {
      this.#log.error({ error: checked.error }, 'dropping invalid gateway stats');
      return;
    }
    client.publish(topics.gatewayStats(this.#opts.site, this.#opts.gateway), JSON.stringify(stats), {
      qos: 0,
    });
  }

  writeCommandResponse(response: CommandResponse): void {
    const checked = validate(commandResponseSchema, response);
    if (!checked.ok) {
      this.#log.error({ error: checked.error }, 'dropping an invalid command response');
      return;
    }
    const client = this.#client;
    if (client?.connected !== true) {
      this.#log.warn({ id: response.id, device: response.device }, 'broker away; command response lost');
      return;
    }
    client.publish(
      topics.commandResponse(this.#opts.site, this.#opts.gateway, response.device),
      JSON.stringify(response),
      { qos: 1 },
    );
  }

  async stop(): Promise<void> {
    const client = this.#client;
    clearInterval(this.#flushTimer);
    clearInterval(this.#replayTimer);
    this.#flushTimer = undefined;
    this.#replayTimer = undefined;
    // Everything built so far goes to disk, and out if connected: a clean stop loses nothing.
    this.#flush(true);
    this.#stopping = true;
    if (client === undefined) return;
    this.#client = undefined;
    // If the link drops while stopping, there is nobody to wait for: give up at once.
    const closed = new Promise<never>((_, reject) => {
      client.once('close', () => reject(new Error('connection closed')));
    });
    closed.catch(() => {});
    if (client.connected) {
      // Give batches in flight a moment to be acknowledged, so they are not sent again next time.
      await withTimeout(
        Promise.race([this.#drained(), closed]),
        STOP_TIMEOUT_MS,
        'in-flight batches not acknowledged',
      ).catch(() => {});
      // A clean DISCONNECT makes the broker discard the Last Will (MQTT 3.1.1 §3.14.4), so say
      // offline ourselves first, and wait for the broker's PUBACK.
      const offline: GatewayStatus = {
        v: PROTOCOL_VERSION,
        state: 'offline',
        ts: Math.round(this.#opts.now()),
      };
      const acked = client.publishAsync(this.#statusTopic, JSON.stringify(offline), { qos: 1, retain: true });
      await withTimeout(
        Promise.race([acked, closed]),
        STOP_TIMEOUT_MS,
        'offline status not acknowledged',
      ).catch((err: unknown) =>
        this.#log.warn({ err: (err as Error).message }, 'could not publish the offline status'),
      );
    }
    // end(false) lets in-flight QoS 1 messages finish; without a connection, or if the broker does
    // not answer, force it.
    const ended = client.connected ? Promise.race([client.endAsync(false), closed]) : client.endAsync(true);
    await withTimeout(ended, STOP_TIMEOUT_MS, 'end timeout').catch(() => client.endAsync(true));
    this.#flush(true);
    this.#inflight.clear();
    const left = this.#spool.depth;
    this.#log.info(
      { acked: this.#ackedCount, spooled: left, dropped: this.#spool.dropped },
      left > 0 ? 'mqtt output stopped; unsent batches stay in the spool' : 'mqtt output stopped',
    );
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#inflight.size === 0) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
  }

  #online(): GatewayStatus {
    const online: GatewayStatus = {
      v: PROTOCOL_VERSION,
      state: 'online',
      ts: Math.round(this.#opts.now()),
      version: this.#opts.version,
      devices: [...this.#devices],
    };
    return gatewayStatusSchema.parse(online);
  }

  #will(): NonNullable<IClientOptions['will']> {
    const offline: GatewayStatus = {
      v: PROTOCOL_VERSION,
      state: 'offline',
      ts: Math.round(this.#opts.now()),
    };
    return { topic: this.#statusTopic, payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true };
  }

  #onConnect(client: MqttClient): void {
    if (this.#client !== client) return;
    if (this.#outage) {
      this.#log.info({ backlog: this.#spool.depth }, 'broker connection restored; replaying the backlog');
    } else {
      this.#log.info({ url: redact(this.#opts.mqtt.url), backlog: this.#spool.depth }, 'connected to broker');
    }
    this.#outage = false;
    // The broker may have published our Last Will while we were away: say online again, then the
    // latest device statuses; the backlog follows at the replay rate, live batches at once.
    client.publish(this.#statusTopic, JSON.stringify(this.#online()), { qos: 1, retain: true });
    for (const status of this.#deviceStatus.values()) {
      client.publish(status.topic, status.payload, { qos: 1, retain: true });
    }
    if (this.#commandHandler !== undefined) {
      client.subscribe(this.#commandFilter, { qos: 1 }, (err) => {
        if (err) this.#log.warn({ err: err.message }, 'could not subscribe to commands');
      });
    }
    this.#replayCursor = -1;
    this.#backlogPossible = true;
  }

  #onMessage(topic: string, payload: Buffer): void {
    const ref = parseTopic(topic);
    if (ref?.kind !== 'command' || this.#commandHandler === undefined) return;
    try {
      this.#commandHandler(ref.device, payload);
    } catch (err) {
      this.#log.error({ err, device: ref.device }, 'command handler failed');
    }
  }

  /** Commits pending batches and acknowledgements to the spool, then publishes the new ones. */
  #flush(force = false): void {
    const now = this.#opts.now();
    const due = force || now - this.#lastTrim >= TRIM_INTERVAL_MS;
    if (this.#pending.length === 0 && this.#acked.size === 0 && !due) return;
    const append = this.#pending;
    const ack = this.#acked;
    this.#pending = [];
    this.#acked = new Set();
    this.#lastTrim = now;
    let appended: SpoolEntry[];
    let dropped: DropReport;
    try {
      ({ appended, dropped } = this.#spool.commit({ append, ack, now }));
    } catch (err) {
      // Disk full, file removed...: keep the batches in memory and try again next time (the
      // pending list is still bounded by the early flush: it only grows while commits fail).
      const kept = [...append, ...this.#pending];
      const lost = Math.max(0, kept.length - MAX_PENDING * 10);
      this.#pending = kept.slice(lost);
      this.#lostInMemory += lost;
      for (const seq of ack) this.#acked.add(seq);
      this.#log.error(
        { err: (err as Error).message, pending: this.#pending.length, lost_total: this.#lostInMemory },
        'spool commit failed; keeping batches in memory',
      );
      return;
    }
    if (dropped.count > 0) {
      this.#log.warn(
        {
          dropped: dropped.count,
          bytes: dropped.bytes,
          from_seq: dropped.firstSeq,
          to_seq: dropped.lastSeq,
          reason: dropped.reason,
          dropped_total: this.#spool.dropped,
        },
        dropped.reason === 'age'
          ? 'spool: dropped batches older than max_age_s'
          : 'spool full: dropped the oldest batches (max_bytes)',
      );
    }
    const client = this.#client;
    if (appended.length === 0 || this.#stopping) return;
    if (client?.connected !== true) {
      this.#backlogPossible = true;
      return;
    }
    for (const entry of appended) {
      if (this.#inflight.size >= this.#opts.forwarding.maxInflight) {
        // The broker is slow: the rest waits in the spool and goes out with the replay.
        this.#backlogPossible = true;
        break;
      }
      this.#publish(client, entry, false);
    }
  }

  /** Sends backlog, oldest first, within the replay rate and the in-flight window. */
  #replay(): void {
    const client = this.#client;
    if (client?.connected !== true || !this.#backlogPossible || this.#stopping) return;
    let budget = Math.min(
      this.#replayBucket.available(),
      this.#opts.forwarding.maxInflight - this.#inflight.size,
    );
    while (budget > 0) {
      const rows = this.#spool.readAfter(this.#replayCursor, REPLAY_PAGE);
      if (rows.length === 0) {
        this.#backlogPossible = false;
        return;
      }
      for (const row of rows) {
        if (budget === 0) return;
        this.#replayCursor = row.seq;
        if (this.#inflight.has(row.seq) || this.#acked.has(row.seq)) continue;
        this.#replayBucket.take(1);
        budget -= 1;
        this.#publish(client, row, true);
      }
    }
  }

  #publish(client: MqttClient, entry: SpoolEntry, historical: boolean): void {
    // The stored payload is our own JSON object: the flag goes in before its closing brace.
    const payload = historical ? `${entry.payload.slice(0, -1)},"historical":true}` : entry.payload;
    this.#inflight.set(entry.seq, entry.bytes);
    client.publish(entry.topic, payload, { qos: 1 }, (err) => {
      this.#inflight.delete(entry.seq);
      if (err !== undefined && err !== null) {
        // Not acknowledged (the client was ended): it stays in the spool for the next connection.
        this.#backlogPossible = true;
        return;
      }
      this.#acked.add(entry.seq);
      this.#ackedCount += 1;
      if (historical) this.#replayedCount += 1;
    });
  }
}
