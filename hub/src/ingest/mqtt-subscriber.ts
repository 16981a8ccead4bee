import { topics } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import mqtt, { type MqttClient } from 'mqtt';

export interface MqttSubscriberOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  log: Logger;
  onMessage: (topic: string, payload: Buffer) => Promise<void>;
}

/**
 * The hub's MQTT client: subscribes to the whole Caretaker tree at QoS 1, against the embedded
 * broker or an external one (MQTT_URL). Messages are handled one at a time, in arrival order,
 * so a device's batches are stored in the order they were published.
 */
export class MqttSubscriber {
  private client: MqttClient | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: MqttSubscriberOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { url, username, password, clientId, log } = this.options;
    const client = mqtt.connect(url, {
      clientId,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.client = client;
    client.on('message', (topic, payload) => {
      this.queue = this.queue.then(() =>
        this.options.onMessage(topic, payload).catch((err: Error) => {
          log.error({ err, topic }, 'handling a message failed');
        }),
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
    await client.subscribeAsync(topics.all(), { qos: 1 });
    log.info({ url }, 'subscribed to %s', topics.all());
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
    await this.queue;
  }
}
