import { createServer, type Server } from 'node:net';
import type { AuthenticateError } from 'aedes';
import { Aedes } from 'aedes';

export interface BrokerAuth<U> {
  /** The user the credentials belong to, or null. */
  authenticate(username: string | undefined, password: Buffer | undefined): Promise<U | null>;
  /** Whether that user may publish to the topic. */
  mayPublish(user: U, topic: string): boolean;
}

export interface EmbeddedBrokerOptions<U> {
  host: string;
  port: number;
  /** Omit for anonymous access (the demo mode only). */
  auth?: BrokerAuth<U>;
  /**
   * Called for every authorised publish (Last Wills included) before the broker acknowledges
   * it (QoS 1 PUBACK) or forwards it: the hub makes readings durable here. A rejection drops
   * the publisher's connection without an acknowledgement, so it sends the message again.
   */
  onPublish?: (topic: string, payload: Buffer) => Promise<void>;
}

/**
 * The embedded MQTT broker: aedes over plain TCP. A standard MQTT 3.1.1/5 broker, so any
 * client (mosquitto_sub, Node-RED, MQTT Explorer) can subscribe to Caretaker's topics.
 */
export class EmbeddedBroker<U = unknown> {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private boundPort = 0;

  constructor(private readonly options: EmbeddedBrokerOptions<U>) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker();
    const { auth } = this.options;
    const users = new WeakMap<object, U>();
    if (auth) {
      aedes.authenticate = (client, username, password, done) => {
        auth.authenticate(username, password).then(
          (user) => {
            if (user !== null) {
              users.set(client, user);
              return done(null, true);
            }
            const error = new Error('bad user name or password') as AuthenticateError;
            error.returnCode = 4; // MQTT 3.1.1 §3.2.2.3 CONNACK 4: bad user name or password
            done(error, false);
          },
          (err: Error) => done(err as AuthenticateError, false),
        );
      };
    }
    const { onPublish } = this.options;
    aedes.authorizePublish = (client, packet, done) => {
      // aedes' own default: clients may not publish into $SYS (aedes issue #597).
      if (client && packet.topic.startsWith('$SYS')) return done(new Error('$SYS topics are reserved'));
      if (auth && client) {
        const user = users.get(client);
        if (user === undefined || !auth.mayPublish(user, packet.topic)) {
          return done(new Error(`not allowed to publish to ${packet.topic}`));
        }
      }
      if (!onPublish) return done(null);
      // Before aedes' PUBACK (lib/handlers/publish.js acknowledges QoS 1 right after this hook).
      onPublish(packet.topic, packet.payload as Buffer).then(
        () => done(null),
        (err: Error) => done(err),
      );
    };
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
    this.aedes = aedes;
    this.server = server;
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = null;
    this.server = null;
    if (server) {
      // close() stops accepting; aedes.close() ends the connected clients so close() can finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
    } else if (aedes) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  }
}
