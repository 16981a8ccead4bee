import type { Server as HttpServer } from 'node:http';
import {
  type ClientToServerEvents,
  idSchema,
  liveRooms,
  type Reading,
  type ReadingsReceivedEvent,
  type ServerToClientEvents,
  validate,
} from '@caretaker/protocol';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { type Actor, canSeeSite } from '../people/actor.js';
import type { LiveStateService } from '../services/live-state.service.js';

const subscriptionSchema = z
  .object({
    all: z.boolean().optional(),
    sites: z.array(idSchema).max(1000).optional(),
    devices: z.array(idSchema).max(10_000).optional(),
  })
  .strict();

/** What a connection presents: its handshake headers, socket.io's `auth` payload, its address. */
export interface Handshake {
  authorization: string | undefined;
  cookie: string | undefined;
  /** `io({ auth: { token } })`: browsers cannot set headers on a WebSocket. */
  token: string | undefined;
  address: string;
}

/** Per connection: who it is (its rooms are only those of its sites). */
export interface SocketData {
  actor: Actor;
}

export interface SocketServerOptions {
  /** Who a connection is (the same credentials as the REST API); null refuses it. Absent: everyone sees everything (tests). */
  authenticate?: (handshake: Handshake) => Promise<Actor | null>;
  /** How often coalesced readings go out (default 100 ms: at most 10 messages a second). */
  flushIntervalMs?: number;
}

type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
const EVERYONE: Actor = { username: 'anonymous', role: 'viewer', sites: 'all' };

export interface LiveBroadcaster {
  io: LiveServer;
  /** Sends what is pending now (tests, shutdown). */
  flush(): void;
  close(): Promise<void>;
}

/**
 * The socket.io stream to dashboards. Readings are coalesced: between flushes only the newest
 * value of each point of each device is kept, and each room (all, a site, a device) gets one
 * message per flush, so the cost grows with the number of clients, not with the reading rate.
 */
export function attachSocketServer(
  httpServer: HttpServer,
  live: LiveStateService,
  options: SocketServerOptions = {},
): LiveBroadcaster {
  const io: LiveServer = new Server(httpServer, {
    serveClient: false,
    // Same-origin dashboards only; a deployment behind a proxy on another origin sets it up there.
    cors: { origin: false },
  });
  const { authenticate } = options;
  io.use((socket, next) => {
    if (!authenticate) {
      socket.data.actor = EVERYONE;
      return next();
    }
    const { headers, auth, address } = socket.handshake;
    const token = typeof auth?.token === 'string' ? auth.token : undefined;
    authenticate({ authorization: headers.authorization, cookie: headers.cookie, token, address }).then(
      (actor) => {
        if (!actor) return next(new Error('unauthorized'));
        socket.data.actor = actor;
        next();
      },
      (err: Error) => next(err),
    );
  });

  /** Every site (the `all` room) or only the actor's sites' rooms. */
  const everything = (actor: Actor): string[] =>
    actor.sites === 'all' ? [liveRooms.all] : actor.sites.map(liveRooms.site);

  io.on('connection', (socket: LiveSocket) => {
    const { actor } = socket.data;
    void socket.join(everything(actor));
    socket.on('subscribe', (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = validate(subscriptionSchema, raw);
      if (!parsed.ok) return reply({ ok: false, error: parsed.error });
      const { all, sites = [], devices = [] } = parsed.value;
      // A user joins only rooms of their sites: the request is refused whole, nothing changes.
      for (const [i, site] of sites.entries()) {
        if (!canSeeSite(actor, site)) return reply({ ok: false, error: `sites.${i}: not one of your sites` });
      }
      for (const [i, device] of devices.entries()) {
        const site = live.siteOf(device);
        if (actor.sites !== 'all' && (site === undefined || !canSeeSite(actor, site))) {
          return reply({ ok: false, error: `devices.${i}: not a device of your sites` });
        }
      }
      for (const room of socket.rooms) if (room !== socket.id) void socket.leave(room);
      const rooms = [...sites.map(liveRooms.site), ...devices.map(liveRooms.device)];
      void socket.join(all || rooms.length === 0 ? everything(actor) : rooms);
      reply({ ok: true });
    });
  });

  // device id → { site, point → newest reading }
  const pending = new Map<string, { site: string; points: Map<string, Reading> }>();
  live.on('readings.received', (event) => {
    const site = live.siteOf(event.device_id) ?? '';
    let entry = pending.get(event.device_id);
    if (!entry) {
      entry = { site, points: new Map() };
      pending.set(event.device_id, entry);
    }
    for (const reading of event.readings) {
      const previous = entry.points.get(reading.point);
      if (!previous || previous.ts <= reading.ts) entry.points.set(reading.point, reading);
    }
  });
  live.on('device.changed', ({ device }) => {
    io.to([liveRooms.all, liveRooms.site(device.site), liveRooms.device(device.id)]).emit('device.changed', {
      device,
    });
  });

  const flush = (): void => {
    if (pending.size === 0) return;
    const all: ReadingsReceivedEvent[] = [];
    const bySite = new Map<string, ReadingsReceivedEvent[]>();
    for (const [deviceId, { site, points }] of pending) {
      const update = { device_id: deviceId, readings: [...points.values()] };
      all.push(update);
      const list = bySite.get(site) ?? [];
      list.push(update);
      bySite.set(site, list);
      // Rooms nobody joined cost nothing: socket.io skips them.
      io.to(liveRooms.device(deviceId)).emit('readings.updated', { devices: [update] });
    }
    pending.clear();
    for (const [site, devices] of bySite) io.to(liveRooms.site(site)).emit('readings.updated', { devices });
    io.to(liveRooms.all).emit('readings.updated', { devices: all });
  };
  const timer = setInterval(flush, options.flushIntervalMs ?? 100);
  timer.unref();

  return {
    io,
    flush,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        io.close(() => resolve());
      }),
  };
}
