import {
  type DeviceStatus,
  deviceStatusSchema,
  type GatewayStatus,
  gatewayStatusSchema,
  PROTOCOL_VERSION,
  type TelemetryBatch,
  telemetryBatchSchema,
  topics,
  validate,
} from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { ResolvedMqttConfig } from '../config/resolved-config.js';
import { withTimeout } from '../pipeline/with-timeout.js';
import { BoundedQueue } from './bounded-queue.js';
import type { DeviceStatusRecord, Output, TelemetryRecord } from './output.js';

export interface MqttOutputOptions {
  site: string;
  gateway: string;
  mqtt: ResolvedMqttConfig;
  /** Device ids announced in the online status. */
  devices: readonly string[];
  /** Gateway software version announced in the online status. */
  version: string;
  now: () => number;
  logger: Logger;
}

interface PendingPublish {
  topic: string;
  payload: string;
}

// Between reconnection attempts while the broker is away.
const RECONNECT_PERIOD_MS = 2_000;
// start() waits this long for the first connection; after that the gateway runs on (buffering)
// and mqtt.js keeps trying in the background.
const FIRST_CONNECT_WAIT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
// Strip the password from the broker URL before it reaches a log line.
const redact = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//***@');

/**
 * Publishes to the Caretaker topic tree (protocol/src/topics.ts):
 * - gateway status, retained, QoS 1: `online` on every (re)connect; `offline` on a clean stop, and
 *   as the Last Will the broker publishes if the gateway vanishes (MQTT 3.1.1 §3.1.2.5);
 * - telemetry, QoS 1, one batch per device per poll, `seq` increasing by one per batch;
 * - device status, retained, QoS 1, on every change, and again after each reconnect (a broker
 *   without persistence forgets retained messages when it restarts).
 *
 * While the broker is unreachable telemetry waits in a bounded in-memory queue (oldest dropped
 * first, counted and logged) and is sent in order after reconnecting; a disk spool comes later.
 */
export class MqttOutput implements Output {
  readonly #opts: MqttOutputOptions;
  readonly #statusTopic: string;
  readonly #pending: BoundedQueue<PendingPublish>;
  readonly #deviceStatus = new Map<string, PendingPublish>();
  readonly #log: Logger;
  #client: MqttClient | undefined;
  #seq = 0;
  #published = 0;
  #invalid = 0;
  #droppedReported = 0;
  #outage = false;

  constructor(options: MqttOutputOptions) {
    this.#opts = options;
    this.#log = options.logger;
    this.#statusTopic = topics.gatewayStatus(options.site, options.gateway);
    this.#pending = new BoundedQueue(options.mqtt.max_queued_messages);
  }

  /** The mqtt.js client (undefined before start); exposed for tests and diagnostics. */
  get client(): MqttClient | undefined {
    return this.#client;
  }

  get stats(): { published: number; queued: number; dropped: number; invalid: number; seq: number } {
    return {
      published: this.#published,
      queued: this.#pending.size,
      dropped: this.#pending.dropped,
      invalid: this.#invalid,
      seq: this.#seq,
    };
  }

  async start(): Promise<void> {
    const { mqtt } = this.#opts;
    const options: IClientOptions = {
      clientId: mqtt.client_id,
      keepalive: mqtt.keepalive_s,
      // A clean session: the gateway republishes its state on every connect and does not subscribe.
      clean: true,
      reconnectPeriod: RECONNECT_PERIOD_MS,
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
        this.#log.warn({ url: redact(mqtt.url) }, 'broker connection lost; buffering telemetry');
      }
    });
    client.on('error', (err) => {
      // mqtt.js reports each failed attempt; say it once per outage.
      if (!this.#outage) this.#log.warn({ err: err.message, url: redact(mqtt.url) }, 'broker unreachable');
      this.#outage = true;
    });

    // Wait for the first connection, or the first sign that the broker is away, not longer: the
    // drivers should start collecting (into the queue) even when the broker is down at boot.
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
    const batch: TelemetryBatch = {
      v: PROTOCOL_VERSION,
      device: record.device,
      device_type: record.device_type,
      seq: this.#seq,
      ts: Math.round(this.#opts.now()),
      readings: record.readings,
    };
    // Validate before sending: an invalid batch would be rejected by the hub anyway, and here the
    // log line names the gateway-side cause. `seq` is only consumed by batches that go out.
    const checked = validate(telemetryBatchSchema, batch);
    if (!checked.ok) {
      this.#invalid += 1;
      this.#log.error({ device: record.device, error: checked.error }, 'dropping an invalid telemetry batch');
      return;
    }
    this.#seq += 1;
    const message = {
      topic: topics.telemetry(this.#opts.site, this.#opts.gateway, record.device),
      payload: JSON.stringify(batch),
    };
    const client = this.#client;
    if (client?.connected === true && this.#pending.size === 0) {
      this.#publish(client, message, false);
      return;
    }
    if (this.#pending.push(message) !== undefined) {
      // Say it when an outage starts losing data, then every 1000 batches, not on every batch.
      const lost = this.#pending.dropped - this.#droppedReported;
      if (lost === 1 || lost % 1000 === 0) {
        this.#log.warn(
          { dropped: lost, capacity: this.#pending.capacity },
          'telemetry queue full; dropping the oldest batches',
        );
      }
    }
  }

  writeDeviceStatus(record: DeviceStatusRecord): void {
    const status: DeviceStatus = {
      v: PROTOCOL_VERSION,
      device: record.device,
      device_type: record.device_type,
      state: record.state,
      ts: Math.round(record.ts),
      ...(record.error === undefined ? {} : { error: record.error.slice(0, 500) }),
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
    // Only the latest status of a device matters (it is retained): no queue, just remember it.
    this.#deviceStatus.set(record.device, message);
    const client = this.#client;
    if (client?.connected === true) this.#publish(client, message, true);
  }

  async stop(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    this.#client = undefined;
    if (this.#pending.size > 0) {
      this.#log.warn({ lost: this.#pending.size }, 'stopping with unsent telemetry');
    }
    // If the link drops while stopping, there is nobody to wait for: give up at once.
    const closed = new Promise<never>((_, reject) => {
      client.once('close', () => reject(new Error('connection closed')));
    });
    closed.catch(() => {});
    if (client.connected) {
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
    this.#log.info({ published: this.#published, dropped: this.#pending.dropped }, 'mqtt output stopped');
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
    if (this.#outage) {
      this.#log.info(
        { queued: this.#pending.size, dropped: this.#pending.dropped - this.#droppedReported },
        'broker connection restored',
      );
    } else {
      this.#log.info({ url: redact(this.#opts.mqtt.url) }, 'connected to broker');
    }
    this.#outage = false;
    this.#droppedReported = this.#pending.dropped;
    // The broker may have published our Last Will while we were away: say online again, then the
    // latest device statuses, then the telemetry that waited, oldest first.
    const online: GatewayStatus = {
      v: PROTOCOL_VERSION,
      state: 'online',
      ts: Math.round(this.#opts.now()),
      version: this.#opts.version,
      devices: [...this.#opts.devices],
    };
    gatewayStatusSchema.parse(online);
    this.#publish(client, { topic: this.#statusTopic, payload: JSON.stringify(online) }, true);
    for (const status of this.#deviceStatus.values()) this.#publish(client, status, true);
    for (const message of this.#pending.drain()) this.#publish(client, message, false);
  }

  #publish(client: MqttClient, message: PendingPublish, retain: boolean): void {
    client.publish(message.topic, message.payload, { qos: 1, retain }, (err) => {
      if (err === undefined || err === null) {
        this.#published += 1;
      } else if (this.#client !== undefined) {
        this.#log.debug({ err: err.message, topic: message.topic }, 'publish failed');
      }
    });
  }
}
