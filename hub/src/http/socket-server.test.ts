import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ClientToServerEvents,
  ReadingsUpdatedEvent,
  ServerToClientEvents,
  TelemetryBatch,
} from '@caretaker/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from '../people/actor.js';
import { LiveStateService } from '../services/live-state.service.js';
import { attachSocketServer, type LiveBroadcaster } from './socket-server.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ live: LiveStateService; broadcaster: LiveBroadcaster; url: string }> {
  const live = new LiveStateService();
  const http = createServer();
  // A long interval: the test flushes by hand, so coalescing is deterministic.
  const broadcaster = attachSocketServer(http, live, { flushIntervalMs: 60_000 });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => broadcaster.close());
  return { live, broadcaster, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function client(url: string): Promise<{ socket: Client; updates: ReadingsUpdatedEvent[] }> {
  const socket: Client = connect(url, { transports: ['websocket'] });
  const updates: ReadingsUpdatedEvent[] = [];
  socket.on('readings.updated', (e) => updates.push(e));
  cleanups.push(() => {
    socket.close();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, updates };
}

function batch(device: string, seq: number, value: number): TelemetryBatch {
  return {
    v: 1,
    device,
    device_type: 'pump',
    seq,
    ts: 1000 + seq,
    readings: [
      { point: 'flow', value, ts: 1000 + seq, quality: 'good' },
      ...(seq === 0 ? [{ point: 'vibration', value: 1.5, ts: 1000, quality: 'good' as const }] : []),
    ],
  };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('live broadcaster', () => {
  it('coalesces many readings into one message holding the newest value of each point', async () => {
    const { live, broadcaster, url } = await setup();
    const { updates } = await client(url);
    for (let seq = 0; seq < 100; seq += 1)
      live.applyTelemetry({ site: 'a', gateway: 'g', device: 'p1' }, batch('p1', seq, seq));
    broadcaster.flush();
    await until(() => updates.length === 1);
    expect(updates[0]?.devices).toHaveLength(1);
    const readings = Object.fromEntries(
      updates[0]?.devices[0]?.readings.map((r) => [r.point, r.value]) ?? [],
    );
    expect(readings).toEqual({ flow: 99, vibration: 1.5 });
    broadcaster.flush(); // nothing new: nothing sent
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(updates).toHaveLength(1);
  });

  it('sends a subscriber only the sites and devices it asked for', async () => {
    const { live, broadcaster, url } = await setup();
    const siteA = await client(url);
    const deviceB2 = await client(url);
    const everything = await client(url);
    expect(await siteA.socket.emitWithAck('subscribe', { sites: ['a'] })).toEqual({ ok: true });
    expect(await deviceB2.socket.emitWithAck('subscribe', { devices: ['b2'] })).toEqual({ ok: true });
    const bad = await deviceB2.socket.emitWithAck('subscribe', { devices: ['no/slash'] });
    expect(bad.ok === false && bad.error).toMatch(/^devices\.0:/);

    live.applyTelemetry({ site: 'a', gateway: 'g', device: 'a1' }, batch('a1', 0, 1));
    live.applyTelemetry({ site: 'b', gateway: 'g', device: 'b1' }, batch('b1', 0, 2));
    live.applyTelemetry({ site: 'b', gateway: 'g', device: 'b2' }, batch('b2', 0, 3));
    broadcaster.flush();
    await until(
      () => siteA.updates.length > 0 && deviceB2.updates.length > 0 && everything.updates.length > 0,
    );
    const ids = (u: ReadingsUpdatedEvent[]) => u.flatMap((e) => e.devices.map((d) => d.device_id)).sort();
    expect(ids(siteA.updates)).toEqual(['a1']);
    expect(ids(deviceB2.updates)).toEqual(['b2']);
    expect(ids(everything.updates)).toEqual(['a1', 'b1', 'b2']);
  });
});

describe('live broadcaster: who may see what', () => {
  /** Tokens stand for actors here; the hub resolves cookies, tokens and Basic the same way. */
  const actors: Record<string, Actor> = {
    'tech-a': { username: 'tom', role: 'technician', sites: ['a'] },
    admin: { username: 'ada', role: 'admin', sites: 'all' },
  };

  async function guarded() {
    const live = new LiveStateService();
    const http = createServer();
    const broadcaster = attachSocketServer(http, live, {
      flushIntervalMs: 60_000,
      authenticate: async ({ token }) => (token ? (actors[token] ?? null) : null),
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => broadcaster.close());
    return { live, broadcaster, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
  }

  function connectAs(url: string, token?: string): Client {
    const socket: Client = connect(url, {
      transports: ['websocket'],
      reconnection: false,
      ...(token ? { auth: { token } } : {}),
    });
    cleanups.push(() => {
      socket.close();
    });
    return socket;
  }

  it('refuses a connection without valid credentials', async () => {
    const { url } = await guarded();
    for (const token of [undefined, 'forged']) {
      const socket = connectAs(url, token);
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toBe('unauthorized');
    }
  });

  it("sends a user only their sites' readings, whatever they subscribe to", async () => {
    const { live, broadcaster, url } = await guarded();
    live.applyTelemetry({ site: 'b', gateway: 'g', device: 'b1' }, batch('b1', 0, 1));
    const tech = connectAs(url, 'tech-a');
    const admin = connectAs(url, 'admin');
    const seen = { tech: [] as ReadingsUpdatedEvent[], admin: [] as ReadingsUpdatedEvent[] };
    tech.on('readings.updated', (e) => seen.tech.push(e));
    admin.on('readings.updated', (e) => seen.admin.push(e));
    await Promise.all(
      [tech, admin].map((s) => new Promise((resolve) => s.once('connect', () => resolve(null)))),
    );

    const refusedSite = await tech.emitWithAck('subscribe', { sites: ['a', 'b'] });
    expect(refusedSite).toEqual({ ok: false, error: 'sites.1: not one of your sites' });
    const refusedDevice = await tech.emitWithAck('subscribe', { devices: ['b1'] });
    expect(refusedDevice).toEqual({ ok: false, error: 'devices.0: not a device of your sites' });
    // "Everything" for a user of site a is everything of site a.
    expect(await tech.emitWithAck('subscribe', { all: true })).toEqual({ ok: true });

    live.applyTelemetry({ site: 'a', gateway: 'g', device: 'a1' }, batch('a1', 1, 1));
    live.applyTelemetry({ site: 'b', gateway: 'g', device: 'b1' }, batch('b1', 2, 2));
    broadcaster.flush();
    await until(() => seen.tech.length > 0 && seen.admin.length > 0);
    const ids = (u: ReadingsUpdatedEvent[]) => u.flatMap((e) => e.devices.map((d) => d.device_id)).sort();
    expect(ids(seen.admin)).toEqual(['a1', 'b1']);
    expect(ids(seen.tech)).toEqual(['a1']);
  });
});
