import { topics } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import mqtt, { type MqttClient } from 'mqtt';

export interface MqttSubscriberOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  /** Subscribe as a member of this shared-subscription group ($share/<group>/...). */
  sharedGroup?: string;
  log: Logger;
  /** Resolves when the message is handled durably; only then is it acknowledged. */
  onMessage: (topic: string, payload: Buffer) => Promise<void>;
}

/**
 * The hub's client of an external broker (MQTT_URL: Mosquitto, EMQX): a persistent session
 * (clean: false, fixed client id) subscribed at QoS 1, so the broker keeps messages while the
 * hub is away; each message is acknowledged only after the hub has it durably
 * (mqtt.js customHandleAcks), so a hub killed mid-stream gets the unacknowledged ones again.
 */
export class MqttSubscriber {
  private client: MqttClient | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: MqttSubscriberOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { url, username, password, clientId, log, onMessage } = this.options;
    const client = mqtt.connect(url, {
      clientId,
      // MQTT 5: mqtt.js only defers acknowledgements (customHandleAcks) on v5, and a v5 session
      // outlives a disconnect only with a session expiry interval (MQTT 5 §3.1.2.11.2).
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 7 * 24 * 3600 },
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      customHandleAcks: (topic, payload, _packet, done) => {
        onMessage(topic, payload).then(
          () => done(0),
          (err: Error) => {
            // No acknowledgement: the broker redelivers on the next session.
            log.error({ err: err.message, topic }, 'could not take a message; it will be redelivered');
            client.end(true, () => client.reconnect());
          },
        );
      },
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      // QoS 1 and 2 were handled before their acknowledgement; QoS 0 has none.
      if (packet.qos !== 0) return;
      this.queue = this.queue.then(() =>
        onMessage(topic, payload).catch((err: Error) =>
          log.error({ err: err.message, topic }, 'handling a message failed'),
        ),
      );
    });
    client.on('error', (err) => log.warn({ err: err.message }, 'MQTT client error'));
    client.on('reconnect', () => log.debug('reconnecting to the MQTT broker'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        client.end(true);
        reject(new Error(`cannot connect to the MQTT broker at ${url}: ${err.message}`));
      };
      client.once('error', onError);
      client.once('connect', () => {
        client.off('error', onError);
        resolve();
      });
    });
    const filter = this.options.sharedGroup
      ? `$share/${this.options.sharedGroup}/${topics.all()}`
      : topics.all();
    await client.subscribeAsync(filter, { qos: 1 });
    log.info({ url, clientId }, 'subscribed to %s', filter);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
    await this.queue;
  }
}
