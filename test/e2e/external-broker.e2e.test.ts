import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '@caretaker/hub';
import { apiPaths, type DevicesResponse, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { requireBinary } from '../support/require-binary.js';
import { type Stack, startStack, waitFor } from '../support/stack.js';

const installed = requireBinary('mosquitto', 'apt-get install mosquitto');

describe.runIf(installed)('with an external broker (MQTT_URL, real Mosquitto)', () => {
  let mosquitto: RunningMosquitto;
  let stack: Stack;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    stack = await startStack({ mqttUrl: mosquitto.url });
  });

  afterAll(async () => {
    await stack?.stop();
    await mosquitto?.stop();
  });

  it('ingests telemetry relayed by Mosquitto and embeds no broker of its own', async () => {
    expect(stack.hub.mqttUrl).toBe(mosquitto.url);
    const devices = await waitFor('pump-1 readings through Mosquitto', async () => {
      const res = await fetch(`${stack.hub.url}${apiPaths.devices}`);
      const body = (await res.json()) as DevicesResponse;
      return body.devices.find((d) => d.id === 'pump-1' && d.latest.flow) ? body : undefined;
    });
    expect(devices.devices.find((d) => d.id === 'pump-1')?.status).toBe('online');
    const health = (await (await fetch(`${stack.hub.url}${apiPaths.health}`)).json()) as {
      broker: { mode: string; connected: boolean };
    };
    expect(health.broker).toEqual({ mode: 'external', connected: true });
  });
});

describe.runIf(installed)('several hubs sharing the load through a shared subscription', () => {
  it('splits the telemetry between them, each batch to exactly one hub', async () => {
    const log = createLogger('hub');
    log.level = 'silent';
    const broker = await startMosquitto({ shippedConfig: true });
    const dirs: string[] = [];
    const hubs = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-shared-'));
        dirs.push(dataDir);
        const hub = new Hub(
          {
            demo: true,
            http: { host: '127.0.0.1', port: 0 },
            mqtt: {
              host: '127.0.0.1',
              port: 0,
              external: { url: broker.url, clientId: `caretaker-hub-${name}`, sharedGroup: 'hubs' },
            },
            dataDir,
            store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
          },
          { log, dashboardDir: join(dataDir, 'none') },
        );
        await hub.start();
        return hub;
      }),
    );
    try {
      const publisher = await mqtt.connectAsync(broker.url);
      const now = Date.now();
      for (let seq = 0; seq < 200; seq += 1) {
        const ts = now - 200_000 + seq;
        await publisher.publishAsync(
          topics.telemetry('estate', 'gw-s', 'pump-s'),
          JSON.stringify({
            v: 1,
            device: 'pump-s',
            device_type: 'pump',
            seq,
            ts,
            readings: [{ point: 'flow', value: seq, ts, quality: 'good' }],
          }),
          { qos: 1 },
        );
      }
      await publisher.endAsync();
      await waitFor('all 200 batches taken by one hub or the other', () =>
        hubs.reduce((sum, hub) => sum + hub.stats.accepted_batches, 0) === 200 ? true : undefined,
      );
      for (const hub of hubs) expect(hub.stats.accepted_batches).toBeGreaterThan(0);
    } finally {
      for (const hub of hubs) await hub.stop();
      await broker.stop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  });
});
