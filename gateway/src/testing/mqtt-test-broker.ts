import net from 'node:net';
import { Aedes } from 'aedes';
import getPort from 'get-port';
import { connectAsync, type MqttClient } from 'mqtt';

export interface TestBroker {
  url: string;
  port: number;
  broker: Aedes;
  /** Every message clients published to the broker, recorded broker-side from the start. */
  published: MessageLog;
  /** Topic filters clients subscribed to, in order. */
  subscriptions: string[];
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  /** Listen on this port (to restart a broker where the gateway expects it). */
  port?: number;
  /**
   * Called before the broker acknowledges a client's publish (aedes `authorizePublish`): hold
   * `ack` to hold the PUBACK, as a broker (or the hub behind it) that is slow to take a message.
   */
  beforeAck?: (topic: string, ack: () => void) => void;
}

/** A real MQTT broker (aedes) on a free loopback port (or the given one, to restart a broker). */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const { beforeAck } = options;
  if (beforeAck !== undefined) {
    broker.authorizePublish = (client, packet, done) => {
      if (client === null) return done(null);
      beforeAck(packet.topic, () => done(null));
    };
  }
  const published = new MessageLog();
  const subscriptions: string[] = [];
  broker.on('subscribe', (subs) => {
    for (const sub of subs) subscriptions.push(sub.topic);
  });
  broker.on('publish', (packet, client) => {
    // client is null for the broker's own $SYS messages.
    if (client !== null) published.record(packet.topic, Buffer.from(packet.payload), packet.retain);
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const host = '127.0.0.1';
  const port = options.port ?? (await getPort({ host }));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    url: `mqtt://${host}:${port}`,
    port,
    broker,
    published,
    subscriptions,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RecordedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** Parsed JSON payload. */
  json: unknown;
}

/** Received messages, with a way to wait for one (tests wait for events, never sleep). */
export class MessageLog {
  readonly messages: RecordedMessage[] = [];
  #waiters = new Set<() => void>();

  record(topic: string, payload: Buffer, retain: boolean): void {
    const text = payload.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    this.messages.push({ topic, payload: text, retain, json });
    for (const wake of this.#waiters) wake();
  }

  /** Resolves with the first recorded message (past or future) that matches, from index `from`. */
  waitFor(
    what: string,
    match: (message: RecordedMessage) => boolean,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<RecordedMessage> {
    const { timeoutMs = 10_000, from = 0 } = options;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(match);
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/** An mqtt.js subscriber that records everything it receives. */
export class MqttRecorder extends MessageLog {
  readonly #client: MqttClient;

  private constructor(client: MqttClient) {
    super();
    this.#client = client;
    client.on('message', (topic, payload, packet) => this.record(topic, payload, packet.retain));
  }

  static async connect(url: string, filter: string): Promise<MqttRecorder> {
    const client = await connectAsync(url, { reconnectPeriod: 0, clean: true });
    const recorder = new MqttRecorder(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return recorder;
  }

  /** Publishes as another client would (the hub sending a command). */
  async publish(topic: string, payload: string | object): Promise<void> {
    await this.#client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
    });
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }
}
