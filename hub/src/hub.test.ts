import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPaths, type DevicesResponse, type TelemetryBatch, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from './auth/passwords.js';
import { UserDirectory } from './auth/users.js';
import type { HubConfig } from './config.js';
import { Hub } from './hub.js';

const log = createLogger('hub-test');
log.level = 'silent';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startHub(users?: UserDirectory): Promise<Hub> {
  const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-hub-'));
  const config: HubConfig = {
    demo: users === undefined,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    dataDir,
    store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
  };
  const hub = new Hub(config, {
    log,
    dashboardDir: join(dataDir, 'no-dashboard'),
    ...(users ? { users } : {}),
  });
  await hub.start();
  cleanups.push(async () => {
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return hub;
}

async function connect(hub: Hub, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(hub.mqttUrl, { reconnectPeriod: 0, ...options });
  cleanups.push(async () => {
    await client.endAsync(true);
  });
  return client;
}

const BASE_TS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;

function batch(device: string, seq: number, value: number): TelemetryBatch {
  const ts = BASE_TS + seq * 1000;
  return {
    v: 1,
    device,
    device_type: 'pump',
    seq,
    ts,
    readings: [{ point: 'flow', value, ts, quality: 'good', unit: 'm3/h' }],
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('hub ingest', () => {
  it('counts and skips bad payloads, and keeps ingesting good ones', async () => {
    const hub = await startHub();
    const client = await connect(hub);
    const topic = topics.telemetry('estate', 'gw-1', 'pump-1');
    const bad: Array<[string, string | Buffer]> = [
      [topic, '{"v":1,'],
      [topic, JSON.stringify({ ...batch('pump-1', 1, 1), readings: [{ point: 'flow', value: 'x' }] })],
      [topic, JSON.stringify(batch('pump-2', 2, 1))], // device does not match the topic
      [topic, Buffer.alloc(300 * 1024, 0x20)],
      ['caretaker/v1/estate/gw-1/nonsense', '{}'],
      [topics.gatewayStatus('estate', 'gw-1'), '{"v":1,"state":"maybe","ts":1}'],
      [
        topic,
        JSON.stringify({
          ...batch('pump-1', 4, 1),
          readings: [{ point: 'flow', value: 1, ts: Date.now() + 3_600_000, quality: 'good' }],
        }),
      ],
      [
        topic,
        JSON.stringify({
          ...batch('pump-1', 5, 1),
          readings: [{ point: 'flow', value: 1, ts: 1000, quality: 'good' }],
        }),
      ],
    ];
    for (const [t, payload] of bad) await client.publishAsync(t, payload, { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(batch('pump-1', 3, 42.5)), { qos: 1 });
    await until('the good batch', () => hub.live.get('pump-1')?.latest.flow?.value === 42.5);
    expect(hub.stats.rejected).toBe(bad.length);
    expect(hub.stats.rejected_by['gw-1']).toEqual({ telemetry: 6, topic: 1, gateway_status: 1 });
    expect(hub.stats.accepted_batches).toBe(1);
  });

  it('keeps the newest value when an older batch arrives late', async () => {
    const hub = await startHub();
    const client = await connect(hub);
    const topic = topics.telemetry('estate', 'gw-1', 'pump-1');
    await client.publishAsync(topic, JSON.stringify(batch('pump-1', 5, 50)), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(batch('pump-1', 4, 40)), { qos: 1 });
    await until('both batches', () => hub.stats.accepted_batches === 2);
    expect(hub.live.get('pump-1')?.latest.flow?.value).toBe(50);
  });

  it('refuses telemetry of a device its gateway does not announce, once it knows the list', async () => {
    const hub = await startHub();
    const gateway = await connect(hub);
    const status = (devices: string[]) =>
      gateway.publishAsync(
        topics.gatewayStatus('estate', 'gw-1'),
        JSON.stringify({ v: 1, state: 'online', ts: Date.now(), devices }),
        { qos: 1, retain: true },
      );
    const send = (device: string, seq: number) =>
      gateway.publishAsync(
        topics.telemetry('estate', 'gw-1', device),
        JSON.stringify(batch(device, seq, seq)),
        { qos: 1 },
      );
    // Before any status (a hub just restarted gets resent batches first): everything is taken.
    await send('pump-9', 1);
    await status(['pump-1']);
    await send('pump-1', 2);
    await send('pump-2', 3); // never announced
    expect(hub.stats.rejected_by['gw-1']).toEqual({ unknown_device: 1 });
    expect(hub.live.get('pump-2')).toBeUndefined();
    // A reload: pump-2 added, pump-1 dropped. The status goes out first on the same connection, so
    // pump-2's first batch, sent right behind it without waiting, is taken; pump-1's late batch
    // (its spool, or in flight at the reload) is taken and flagged.
    await Promise.all([status(['pump-2']), send('pump-2', 4), send('pump-1', 5)]);
    await until('every batch', () => hub.stats.accepted_batches === 4);
    expect(hub.stats.rejected).toBe(1);
    expect(hub.stats.flagged_by['gw-1']).toEqual({ withdrawn_device: 1 });
    expect(hub.live.get('pump-2')?.latest.flow?.value).toBe(4);
    // The refused batch was received: no hole in the gateway's sequence numbers.
    expect(hub.sequences[0]?.missing).toBe(0);
  });

  it("takes a gateway's devices offline when its Last Will is published", async () => {
    const hub = await startHub();
    const will = {
      topic: topics.gatewayStatus('estate', 'gw-1'),
      payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', ts: 1 })),
      qos: 1 as const,
      retain: true,
    };
    const gateway = await connect(hub, { will });
    await gateway.publishAsync(
      topics.telemetry('estate', 'gw-1', 'pump-1'),
      JSON.stringify(batch('pump-1', 1, 1)),
      { qos: 1 },
    );
    await until('pump-1 online', () => hub.live.get('pump-1')?.status === 'online');
    // Drop the TCP connection without DISCONNECT, as a crashed gateway would.
    gateway.stream.destroy();
    await until('pump-1 offline', () => hub.live.get('pump-1')?.status === 'offline');
    expect(hub.live.get('pump-1')?.error).toMatch(/gateway gw-1 is offline/);
  });
});

describe('hub restart', () => {
  it('shows the stored latest values at once, stale and in an unknown state until fresh data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-hub-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const config: HubConfig = {
      demo: true,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      dataDir,
      store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
    };
    const options = { log, dashboardDir: join(dataDir, 'no-dashboard') };
    const first = new Hub(config, options);
    await first.start();
    const gateway = await mqtt.connectAsync(first.mqttUrl, { reconnectPeriod: 0 });
    const reading = batch('pump-1', 1, 12.5);
    reading.readings.push({ point: 'running', value: true, ts: reading.ts, quality: 'good' });
    await gateway.publishAsync(topics.telemetry('estate', 'gw-1', 'pump-1'), JSON.stringify(reading), {
      qos: 1,
    });
    await gateway.endAsync(true);
    await first.stop();

    const second = new Hub(config, options);
    await second.start();
    cleanups.push(() => second.stop());
    const res = await fetch(`${second.url}${apiPaths.devices}`);
    const { devices } = (await res.json()) as DevicesResponse;
    expect(devices).toEqual([
      expect.objectContaining({
        id: 'pump-1',
        site: 'estate',
        gateway: 'gw-1',
        type: 'pump',
        status: 'unknown',
        latest: {
          flow: { value: 12.5, ts: reading.ts, quality: 'good', stale: true },
          running: { value: 1, ts: reading.ts, quality: 'good', stale: true },
        },
      }),
    ]);
  });
});

describe('hub outside the demo mode', () => {
  async function securedHub(): Promise<Hub> {
    const users = new UserDirectory();
    users.add('gw-1', await hashPassword('gateway-secret'), 'gateway');
    users.add('alice', await hashPassword('alice-secret'), 'admin');
    users.add('bob', await hashPassword('bob-secret'), 'viewer');
    return startHub(users);
  }

  /** The QoS the broker granted each filter, one SUBSCRIBE each (128: refused, MQTT 3.1.1 §3.9.3). */
  async function granted(client: MqttClient, filters: string[]): Promise<number[]> {
    const result: number[] = [];
    for (const filter of filters) {
      // mqtt.js rejects a refused subscription, with the SUBACK attached.
      const grants = await client
        .subscribeAsync(filter, { qos: 1 })
        .catch((err: { packet?: { granted?: number[] } }) =>
          (err.packet?.granted ?? []).map((qos) => ({ topic: filter, qos })),
        );
      result.push(grants[0]?.qos ?? -1);
    }
    return result;
  }

  it('refuses anonymous and wrong MQTT credentials', async () => {
    const hub = await securedHub();
    await expect(mqtt.connectAsync(hub.mqttUrl, { reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    await expect(
      mqtt.connectAsync(hub.mqttUrl, { reconnectPeriod: 0, username: 'gw-1', password: 'wrong' }),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it('lets a gateway publish under its own id only', async () => {
    const hub = await securedHub();
    const intruder = await connect(hub, { username: 'gw-1', password: 'gateway-secret' });
    let closed = false;
    intruder.on('close', () => {
      closed = true;
    });
    // aedes drops a client that publishes where it may not; the publish never reaches ingest.
    intruder.publish(topics.telemetry('estate', 'gw-2', 'pump-9'), JSON.stringify(batch('pump-9', 1, 1)), {
      qos: 1,
    });
    await until('the broker to drop the intruder', () => closed);
    const gateway = await connect(hub, { username: 'gw-1', password: 'gateway-secret' });
    await gateway.publishAsync(
      topics.telemetry('estate', 'gw-1', 'pump-1'),
      JSON.stringify(batch('pump-1', 1, 7)),
      { qos: 1 },
    );
    await until('pump-1', () => hub.live.get('pump-1') !== undefined);
    expect(hub.live.get('pump-9')).toBeUndefined();
  });

  it("lets a gateway subscribe only to its own devices' commands, which an admin may send", async () => {
    const hub = await securedHub();
    const gateway = await connect(hub, { username: 'gw-1', password: 'gateway-secret' });
    const ownCommands = topics.gatewayCommands('estate', 'gw-1');
    expect(
      await granted(gateway, [
        ownCommands,
        topics.command('estate', 'gw-1', 'pump-1'),
        topics.gatewayCommands('estate', 'gw-2'),
        topics.telemetry('estate', 'gw-2', 'pump-9'),
        topics.telemetry('estate', 'gw-1', 'pump-1'),
        'caretaker/v1/+/gw-1/device/+/command',
        topics.all(),
        '#',
        '$SYS/#',
      ]),
    ).toEqual([1, 1, 128, 128, 128, 128, 128, 128, 128]);
    const received: string[] = [];
    gateway.on('message', (topic) => received.push(topic));
    // A neighbour's telemetry never reaches it; an admin's command does.
    const other = await connect(hub, { username: 'alice', password: 'alice-secret' });
    await other.publishAsync(
      topics.telemetry('estate', 'gw-2', 'pump-9'),
      JSON.stringify(batch('pump-9', 1, 1)),
      {
        qos: 1,
      },
    );
    const command = topics.command('estate', 'gw-1', 'pump-1');
    await other.publishAsync(command, JSON.stringify({ v: 1, id: 'c-1' }), { qos: 1 });
    await until('the command', () => received.includes(command));
    expect(received.every((topic) => topic === command)).toBe(true);
  });

  it('lets a viewer watch the topic tree but publish nothing', async () => {
    const hub = await securedHub();
    const viewer = await connect(hub, { username: 'bob', password: 'bob-secret' });
    expect(await granted(viewer, [topics.all(), '$SYS/#', '#'])).toEqual([1, 128, 128]);
    const seen: string[] = [];
    viewer.on('message', (topic) => seen.push(topic));
    const gateway = await connect(hub, { username: 'gw-1', password: 'gateway-secret' });
    const telemetry = topics.telemetry('estate', 'gw-1', 'pump-1');
    await gateway.publishAsync(telemetry, JSON.stringify(batch('pump-1', 1, 7)), { qos: 1 });
    await until('the telemetry at the viewer', () => seen.includes(telemetry));
    let closed = false;
    viewer.on('close', () => {
      closed = true;
    });
    // Not even a command: aedes drops it, and the gateway never sees it.
    const commands: string[] = [];
    await gateway.subscribeAsync(topics.gatewayCommands('estate', 'gw-1'), { qos: 1 });
    gateway.on('message', (topic) => commands.push(topic));
    viewer.publish(topics.command('estate', 'gw-1', 'pump-1'), JSON.stringify({ v: 1, id: 'c-2' }), {
      qos: 1,
    });
    await until('the broker to drop the viewer', () => closed);
    // The gateway's own publish after the refused one gets through; the command did not.
    await gateway.publishAsync(telemetry, JSON.stringify(batch('pump-1', 2, 8)), { qos: 1 });
    expect(commands).toEqual([]);
  });

  it('asks for HTTP credentials of a dashboard user, except for /healthz', async () => {
    const hub = await securedHub();
    const anonymous = await fetch(`${hub.url}${apiPaths.devices}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    expect((await fetch(`${hub.url}${apiPaths.devices}`, { headers: basic('alice', 'nope') })).status).toBe(
      401,
    );
    // A gateway's credentials are for MQTT, not for the dashboard.
    expect(
      (await fetch(`${hub.url}${apiPaths.devices}`, { headers: basic('gw-1', 'gateway-secret') })).status,
    ).toBe(401);
    const ok = await fetch(`${hub.url}${apiPaths.devices}`, { headers: basic('alice', 'alice-secret') });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as DevicesResponse).devices).toEqual([]);
    expect((await fetch(`${hub.url}${apiPaths.health}`)).status).toBe(200);
  });

  it('will not start without users', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-hub-'));
    const config: HubConfig = {
      demo: false,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      dataDir,
      store: { kind: 'sqlite', path: join(dataDir, 'r.db') },
    };
    expect(() => new Hub(config, { log })).toThrow(/no users are configured/);
    await rm(dataDir, { recursive: true, force: true });
  });
});
