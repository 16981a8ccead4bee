import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AuthenticateError } from 'aedes';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface BrokerAuth<U> {
  /** The user the credentials belong to, or null. */
  authenticate(username: string | undefined, password: Buffer | undefined): Promise<U | null>;
  /** Whether that user may publish to the topic. */
  mayPublish(user: U, topic: string): boolean;
  /** Whether that user may subscribe to the topic filter. */
  maySubscribe(user: U, filter: string): boolean;
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
  /**
   * While the hub is behind on making readings durable, a promise to wait on: a QoS 0 publisher's
   * next packets are then read only once it resolves, so TCP slows the publisher down instead of
   * the hub's memory filling up. (QoS 1 publishers wait for their acknowledgements anyway.)
   */
  backpressure?: () => Promise<void> | undefined;
  /** MQTT over TLS on its own port (MQTT's 8883). */
  tls?: { cert: string; key: string; host: string; port: number };
  /** MQTT over WebSocket on an existing HTTP(S) server, at this path. */
  websocket?: { server: HttpServer; path: string };
}

/**
 * The embedded MQTT broker: aedes over plain TCP. A standard MQTT 3.1.1/5 broker, so any
 * client (mosquitto_sub, Node-RED, MQTT Explorer) can subscribe to Caretaker's topics.
 */
export class EmbeddedBroker<U = unknown> {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private tlsServer: TlsServer | null = null;
  private wss: WebSocketServer | null = null;
  private boundPort = 0;
  private boundTlsPort = 0;

  constructor(private readonly options: EmbeddedBrokerOptions<U>) {}

  get port(): number {
    return this.boundPort;
  }

  get tlsPort(): number {
    return this.boundTlsPort;
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
    if (auth) {
      aedes.authorizeSubscribe = (client, subscription, done) => {
        const user = client ? users.get(client) : undefined;
        if (client && (user === undefined || !auth.maySubscribe(user, subscription.topic))) {
          // A null subscription is refused in the SUBACK (MQTT 3.1.1 §3.9.3 return code 0x80)
          // and the client stays connected; its other filters are judged one by one.
          return done(null, null);
        }
        done(null, subscription);
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
      const handled = onPublish(packet.topic, packet.payload as Buffer);
      if (packet.qos === 0) {
        // QoS 0 promises no delivery, so the client need not wait on our disk; the readings
        // still go through the same journal, in arrival order.
        handled.catch(() => undefined);
        const behind = this.options.backpressure?.();
        if (!behind) return done(null);
        // aedes reads a client's next packets once this one is done (lib/client.js nextBatch).
        behind.then(() => done(null));
        return;
      }
      // Before aedes' PUBACK (lib/handlers/publish.js acknowledges QoS 1 right after this hook).
      handled.then(
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

    const { tls, websocket } = this.options;
    if (tls) {
      const tlsServer = createTlsServer({ cert: tls.cert, key: tls.key }, aedes.handle);
      await new Promise<void>((resolve, reject) => {
        tlsServer.once('error', reject);
        tlsServer.listen(tls.port, tls.host, () => {
          tlsServer.off('error', reject);
          resolve();
        });
      });
      const tlsAddress = tlsServer.address();
      this.boundTlsPort = typeof tlsAddress === 'object' && tlsAddress ? tlsAddress.port : tls.port;
      this.tlsServer = tlsServer;
    }
    if (websocket) {
      // noServer: socket.io shares the HTTP server's upgrades, so only our path is taken here.
      const wss = new WebSocketServer({ noServer: true });
      websocket.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        if (new URL(req.url ?? '/', 'http://x').pathname !== websocket.path) return;
        wss.handleUpgrade(req, socket, head, (ws) => {
          aedes.handle(createWebSocketStream(ws) as unknown as Socket, req);
        });
      });
      this.wss = wss;
    }
  }

  async stop(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    this.wss = null;
    const tlsServer = this.tlsServer;
    this.tlsServer = null;
    const tlsClosed = tlsServer
      ? new Promise<void>((resolve) => tlsServer.close(() => resolve()))
      : undefined;
    const { aedes, server } = this;
    this.aedes = null;
    this.server = null;
    if (server) {
      // close() stops accepting; aedes.close() ends the connected clients so close() can finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
      await tlsClosed;
    } else if (aedes) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  }
}
