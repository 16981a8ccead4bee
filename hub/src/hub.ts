import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GatewaysResponse, type HealthResponse, liveRooms } from '@caretaker/protocol';
import { createLogger, type Logger } from '@caretaker/protocol/log';
import type { Express } from 'express';
import { Maintenance } from './alarms/maintenance.js';
import { Authenticator } from './auth/authenticator.js';
import { type SessionPolicy, SessionService } from './auth/session.service.js';
import { type SignInLimits, SignInThrottle } from './auth/sign-in-throttle.js';
import { mayPublish, maySubscribe } from './auth/topic-acl.js';
import { loadDemoPeople, type User, type UserDirectory } from './auth/users.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import type { HubConfig } from './config.js';
import { dispatchRoutes } from './dispatch/dispatch.routes.js';
import { energyRoutes } from './energy/energy.routes.js';
import { openEnergy } from './energy/energy.wiring.js';
import { accountRoutes, signInRoutes } from './http/auth-routes.js';
import { createHttpApp } from './http/http-app.js';
import { maintenanceRoutes } from './http/maintenance-routes.js';
import { openApiRoutes } from './http/openapi.js';
import { peopleRoutes } from './http/people-routes.js';
import { attachSocketServer, type LiveBroadcaster } from './http/socket-server.js';
import { publicReportRoutes, workOrderRoutes } from './http/work-order-routes.js';
import { IngestService } from './ingest/ingest.service.js';
import { Journal } from './ingest/journal.js';
import { MqttSubscriber } from './ingest/mqtt-subscriber.js';
import { StoreWriter } from './ingest/store-writer.js';
import { partsRoutes } from './parts/parts.routes.js';
import { PeopleService } from './people/people.service.js';
import { preventiveRoutes } from './preventive/preventive.routes.js';
import { reportsRoutes } from './reports/reports.routes.js';
import { restoreLatest } from './services/live-restore.js';
import { LiveStateService } from './services/live-state.service.js';
import { slaRoutes } from './sla/sla.routes.js';
import { InfluxStore } from './storage/influx.store.js';
import { SqliteStore } from './storage/sqlite.store.js';
import type { TimeSeriesStore } from './storage/time-series-store.js';
import { webhookRoutes } from './webhooks/webhook.routes.js';

export const DEFAULT_DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist');

export interface HubOptions {
  /** Required outside the demo mode: who may use MQTT and HTTP. */
  users?: UserDirectory;
  dashboardDir?: string;
  log?: Logger;
  now?: () => number;
  /** Dashboard sessions' idle and absolute lifetimes (default 12 h idle, 7 days). */
  sessionPolicy?: SessionPolicy;
  /** Failed sign-ins allowed per address and per user name (default 50 and 10 per 15 min). */
  signInLimits?: SignInLimits;
  /** How soon the SQLite store tries building its summaries again after a failure (default 30 s). */
  storeSummaryRetryMs?: number;
}

/**
 * The composition root: storage, live state, HTTP + socket.io, broker, MQTT ingest. Sinks
 * start before sources and stop after them, so no reading arrives with nowhere to go.
 */
export class Hub {
  readonly log: Logger;
  readonly live: LiveStateService;
  private readonly store: TimeSeriesStore;
  private readonly journal: Journal;
  private readonly writer: StoreWriter;
  private readonly ingest: IngestService;
  private broker: EmbeddedBroker<User> | null = null;
  private subscriber: MqttSubscriber | null = null;
  private httpServer: HttpServer | null = null;
  private io: LiveBroadcaster | null = null;
  private readonly startedAt: number;
  private httpPort = 0;
  private sweeper: NodeJS.Timeout | null = null;
  /** Alarms and work orders (open after start()). */
  maintenance: Maintenance | null = null;
  /** The HTTP app (after start()): tests check every route it serves is documented. */
  httpApp: Express | null = null;
  /** People, sites and sign-in (open after start()). */
  people: PeopleService | null = null;
  private auth: Authenticator | null = null;
  private readonly now: () => number;

  constructor(
    private readonly config: HubConfig,
    private readonly options: HubOptions = {},
  ) {
    this.log = options.log ?? createLogger('hub');
    const now = options.now ?? Date.now;
    this.now = now;
    this.startedAt = now();
    this.live = new LiveStateService(now);
    const durability = config.journal?.durability ?? 'full';
    this.store =
      config.store.kind === 'sqlite'
        ? new SqliteStore(config.store.path, durability, {
            log: this.log.child({ component: 'store' }),
            now,
            ...(options.storeSummaryRetryMs ? { summaryRetryMs: options.storeSummaryRetryMs } : {}),
          })
        : new InfluxStore(config.store.influx);
    const store = this.store;
    this.journal = new Journal({
      path: join(config.dataDir, 'journal.db'),
      maxReadings: config.journal?.maxReadings ?? 2_000_000,
      durability,
      // The embedded store is durable itself: no second copy of every reading.
      ...(store.writeDurably ? { directSink: (readings) => store.writeDurably?.(readings) } : {}),
    });
    this.writer = new StoreWriter({
      journal: this.journal,
      store: this.store,
      log: this.log.child({ component: 'store' }),
      batchSize: 5000,
      flushIntervalMs: 200,
      minBackoffMs: 500,
      maxBackoffMs: 30_000,
    });
    this.ingest = new IngestService({
      journal: this.journal,
      live: this.live,
      log: this.log.child({ component: 'ingest' }),
      // One hub of a shared subscription may miss the status that announced a device.
      unknownDevices: config.mqtt.external?.sharedGroup ? 'flag' : 'reject',
    });
    if (!config.demo && !options.users) {
      throw new Error(
        'no users are configured: set HUB_USERS_FILE (see the README), or run the demo mode (--demo)',
      );
    }
  }

  /** The dashboard and API address. */
  get url(): string {
    const host =
      this.config.http.host === '0.0.0.0' || this.config.http.host === '::'
        ? 'localhost'
        : this.config.http.host;
    return `${this.config.tls ? 'https' : 'http'}://${host}:${this.httpPort}`;
  }

  /** The broker address gateways use (embedded, or the external MQTT_URL). */
  get mqttUrl(): string {
    if (this.config.mqtt.external) return this.config.mqtt.external.url;
    const host =
      this.config.mqtt.host === '0.0.0.0' || this.config.mqtt.host === '::'
        ? '127.0.0.1'
        : this.config.mqtt.host;
    return `mqtt://${host}:${this.broker?.port ?? this.config.mqtt.port}`;
  }

  /** MQTT over TLS, when configured. */
  get mqttsUrl(): string | undefined {
    if (!this.config.tls || !this.broker) return undefined;
    const host =
      this.config.mqtt.host === '0.0.0.0' || this.config.mqtt.host === '::'
        ? '127.0.0.1'
        : this.config.mqtt.host;
    return `mqtts://${host}:${this.broker.tlsPort}`;
  }

  get stats() {
    return this.ingest.stats;
  }

  get journalStats() {
    return { ...this.journal.statsSnapshot, ...this.writer.stats };
  }

  get sequences() {
    return this.ingest.sequences.list();
  }

  /** Resolves once every journaled reading is in the store (or the store is failing). */
  flush(): Promise<void> {
    return this.writer.drain();
  }

  async start(): Promise<void> {
    const { config } = this;
    // The journal first: readings it kept from before a crash go to the store as soon as it is up.
    this.journal.open();
    try {
      await this.store.init();
    } catch (err) {
      // Keep going: readings wait in the journal until the store answers (the writer retries).
      this.log.error(
        { err: (err as Error).message, store: this.store.kind },
        'the store is not reachable yet',
      );
    }
    this.writer.start();
    // The board shows the stored latest values at once; states stay unknown until fresh data.
    await restoreLatest(this.store, this.live, this.log.child({ component: 'live' }));
    // Detection judges every accepted batch; its decisions go to the database off the ack path.
    this.maintenance = await Maintenance.open(
      config.maintenance ?? { database: { kind: 'sqlite', path: join(config.dataDir, 'caretaker.db') } },
      this.live,
      this.log.child({ component: 'alarms' }),
      this.now,
    );
    const maintenance = this.maintenance;
    this.ingest.onTelemetry = (ref, batch) => maintenance.engine.onTelemetry(ref, batch);
    this.log.info(
      { store: this.store.kind, pending: this.journal.statsSnapshot.pending_readings },
      'storage ready',
    );

    const users = this.options.users;
    // People sign in from the database; the users file (or, in the demo, the demo's people) seeds it.
    const people = new PeopleService(maintenance.database.db, this.now);
    this.people = people;
    const seed = users ?? (config.demo ? loadDemoPeople() : undefined);
    if (seed) await people.bootstrap(seed.people, seed.sites);
    if (!config.demo && !(await people.hasActiveAdmin())) {
      throw new Error(
        'no active administrator: give a user `role: admin` in HUB_USERS_FILE (see the README, "Security")',
      );
    }
    const auth = new Authenticator({
      people,
      sessions: new SessionService(maintenance.database.db, people, this.now, this.options.sessionPolicy),
      demo: config.demo,
      secureCookies: config.tls !== undefined,
      throttle: new SignInThrottle(this.options.signInLimits),
    });
    this.auth = auth;
    const app = createHttpApp({
      live: this.live,
      store: this.store,
      health: () => this.health(),
      gateways: () => this.gateways(),
      dashboardDir: this.options.dashboardDir ?? DEFAULT_DASHBOARD_DIR,
      // Routers mounted under /api, each module its own.
      apiRoutes: [
        maintenanceRoutes({ maintenance }),
        preventiveRoutes({
          preventive: maintenance.preventive,
          log: this.log.child({ component: 'preventive' }),
        }),
        workOrderRoutes({
          orders: maintenance.orders,
          lifecycle: maintenance.lifecycle,
          ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
        }),
        openApiRoutes(),
        accountRoutes(auth),
        peopleRoutes({ people }),
        partsRoutes({ parts: maintenance.parts }),
        webhookRoutes({ webhooks: maintenance.webhooks }),
        reportsRoutes({ reports: maintenance.reports }),
        energyRoutes({
          energy: openEnergy({
            store: this.store,
            live: this.live,
            assets: maintenance.engine.assets,
            db: maintenance.database.db,
            now: this.now,
          }),
        }),
        slaRoutes({ sla: maintenance.sla }),
        dispatchRoutes({ dispatch: maintenance.dispatch, shifts: maintenance.shifts }),
      ],
      // The QR report form: no login, its own signature and rate limits.
      publicRoutes: [publicReportRoutes({ lifecycle: maintenance.lifecycle })],
      // Every request but /healthz and sign-in carries its actor (demo mode: anonymous is an administrator).
      authenticate: auth.middleware([signInRoutes(auth)]),
    });
    this.httpApp = app;
    const httpServer: HttpServer = config.tls
      ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, app)
      : createServer(app);
    this.io = attachSocketServer(httpServer, this.live, {
      authenticate: async (handshake) =>
        auth.actorFor(
          await auth.resolve({
            authorization: handshake.authorization,
            cookie: handshake.cookie,
            token: handshake.token,
            ip: handshake.address,
          }),
        ),
    });
    const io = this.io.io;
    maintenance.engine.onEvent = (event) => {
      const alarm = event.alarm;
      io.to([liveRooms.all, ...(alarm ? [liveRooms.site(alarm.site)] : [])]).emit('maintenance.changed', {
        kind: event.type,
        site: alarm?.site ?? '',
        device: alarm?.device ?? null,
        ...(alarm ? { alarm_id: alarm.id, rule_id: alarm.rule_id, severity: alarm.severity } : {}),
        ...(event.orderId !== undefined ? { order_id: event.orderId } : {}),
        ...(event.acknowledged ? { acknowledged: event.acknowledged } : {}),
      });
    };
    // People's changes to orders (actions, dispatch, escalation, parts) reach the boards too; the
    // sensor side announces its own through the engine above. One change often records several
    // events (accept, dispatch, the dispatch decision): each order is read and announced once.
    const changedOrders = new Set<number>();
    const announceOrders = () => {
      const ids = [...changedOrders];
      changedOrders.clear();
      for (const id of ids) {
        maintenance.orders
          .get(id)
          .then((order) => {
            if (!order) return;
            io.to([liveRooms.all, liveRooms.site(order.site)]).emit('maintenance.changed', {
              kind: 'order',
              site: order.site,
              device: order.device,
              order_id: order.id,
            });
          })
          .catch((err: unknown) =>
            this.log.warn({ err: (err as Error).message, order: id }, 'order change not broadcast'),
          );
      }
    };
    maintenance.orders.onEvent((event) => {
      if (event.actor === 'sensor') return;
      if (changedOrders.size === 0) setImmediate(announceOrders);
      changedOrders.add(event.orderId);
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.http.port, config.http.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    this.httpServer = httpServer;
    const address = httpServer.address();
    this.httpPort = typeof address === 'object' && address ? address.port : config.http.port;

    const external = config.mqtt.external;
    if (external) {
      this.subscriber = new MqttSubscriber({
        url: external.url,
        clientId: external.clientId ?? 'caretaker-hub',
        ...(external.sharedGroup ? { sharedGroup: external.sharedGroup } : {}),
        ...(external.username !== undefined
          ? { username: external.username, password: external.password ?? '' }
          : {}),
        log: this.log.child({ component: 'mqtt' }),
        onMessage: (topic, payload) => this.ingest.handle(topic, payload),
      });
      await this.subscriber.start();
    } else {
      // In-process ingest: every publish is made durable before the broker acknowledges it.
      this.broker = new EmbeddedBroker<User>({
        host: config.mqtt.host,
        port: config.mqtt.port,
        onPublish: (topic, payload) => this.ingest.handle(topic, payload),
        backpressure: () => this.journal.backpressure(),
        ...(config.tls
          ? {
              tls: {
                cert: config.tls.cert,
                key: config.tls.key,
                host: config.mqtt.host,
                port: config.tls.mqttPort,
              },
            }
          : {}),
        ...(config.mqttWsPath ? { websocket: { server: httpServer, path: config.mqttWsPath } } : {}),
        ...(users
          ? {
              auth: {
                authenticate: (username, password) => users.verify(username, password?.toString('utf8')),
                mayPublish,
                maySubscribe,
              },
            }
          : {}),
      });
      await this.broker.start();
      this.log.info(
        {
          port: this.broker.port,
          tlsPort: config.tls ? this.broker.tlsPort : undefined,
          websocket: config.mqttWsPath,
          auth: users ? 'users file' : 'anonymous (demo)',
        },
        'embedded MQTT broker listening',
      );
    }

    this.sweeper = setInterval(() => {
      this.live.sweep();
      maintenance.tick();
    }, 1000);
    this.sweeper.unref();
    this.log.info({ url: this.url, demo: config.demo }, 'hub ready');
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    // Sources first: no new readings, then the sinks drain.
    await this.subscriber?.stop();
    this.subscriber = null;
    await this.broker?.stop();
    this.broker = null;
    await this.io?.close();
    this.io = null;
    if (this.httpServer?.listening) {
      this.httpServer.closeAllConnections();
      await new Promise<void>((resolve) => this.httpServer?.close(() => resolve()));
    }
    this.httpServer = null;
    await this.writer.stop();
    this.auth?.close();
    this.auth = null;
    this.people = null;
    await this.maintenance?.close();
    this.maintenance = null;
    this.journal.close();
    await this.store.close();
  }

  /** Gateways with their state and sequence-number audit. */
  gateways(): GatewaysResponse {
    const sequences = new Map(this.ingest.sequences.list().map((s) => [`${s.site}/${s.gateway}`, s]));
    return {
      gateways: this.live.listGateways().map((g) => {
        const seq = sequences.get(`${g.site}/${g.gateway}`);
        return { ...g, last_seq: seq?.last_seq ?? null, missing_batches: seq?.missing ?? 0 };
      }),
    };
  }

  async health(): Promise<HealthResponse> {
    let storeOk = true;
    let storeError: string | undefined;
    try {
      await this.store.ping();
    } catch (err) {
      storeOk = false;
      storeError = (err as Error).message;
    }
    const connected = this.config.mqtt.external
      ? (this.subscriber?.connected ?? false)
      : this.broker !== null;
    const checks = this.store.checks?.() ?? {};
    const checksOk = Object.values(checks).every((c) => c.ok);
    return {
      status: storeOk && connected && !this.writer.stats.store_down && checksOk ? 'ok' : 'degraded',
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      store: { kind: this.store.kind, ok: storeOk, ...(storeError ? { error: storeError } : {}) },
      broker: { mode: this.config.mqtt.external ? 'external' : 'embedded', connected },
      ingest: {
        accepted_batches: this.ingest.stats.accepted_batches,
        accepted_readings: this.ingest.stats.accepted_readings,
        rejected: this.ingest.stats.rejected,
        missing_batches: this.ingest.sequences.missing,
      },
      journal: {
        pending_readings: this.journal.statsSnapshot.pending_readings,
        dropped_readings: this.journal.statsSnapshot.dropped_readings,
        store_down: this.writer.stats.store_down,
        last_error: this.writer.stats.last_error,
      },
      ...(Object.keys(checks).length > 0 ? { checks } : {}),
    };
  }
}
