import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub, type HubConfig } from '@caretaker/hub';
import { type TelemetryBatch, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningInfluxDb, startInfluxDb } from '../support/influxdb.js';
import { requireBinary } from '../support/require-binary.js';
import { waitFor } from '../support/stack.js';

const installed = requireBinary('influxd', 'apt-get install influxdb');
// Recent enough for the hub's timestamp sanity check, whatever the date of the run.
const BASE_TS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;
const log = createLogger('hub');
log.level = 'silent';

function batch(seq: number, readings: number): string {
  const ts = BASE_TS + seq * readings;
  const body: TelemetryBatch = {
    v: 1,
    device: 'meter-7',
    device_type: 'power_meter',
    seq,
    ts,
    readings: Array.from({ length: readings }, (_, i) => ({
      point: 'active_power',
      value: seq,
      ts: ts + i,
      quality: 'good' as const,
    })),
  };
  return JSON.stringify(body);
}

async function countInInflux(influx: RunningInfluxDb): Promise<number> {
  const result = await influx.query(
    `SELECT count("value") FROM "telemetry" WHERE "device" = 'meter-7'`,
    'outage',
  );
  return Number(result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
}

describe.runIf(installed)('InfluxDB stopped and restarted under the hub', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    maxReadings: number,
  ): Promise<{ influx: RunningInfluxDb; hub: Hub; client: MqttClient }> {
    const influx = await startInfluxDb();
    cleanups.push(() => influx.stop());
    const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-outage-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const config: HubConfig = {
      demo: true,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      dataDir,
      journal: { maxReadings, durability: 'normal' },
      store: { kind: 'influxdb', influx: { api: 'v1', url: influx.url, database: 'outage' } },
    };
    const hub = new Hub(config, { log });
    await hub.start();
    cleanups.push(() => hub.stop());
    const client = await mqtt.connectAsync(hub.mqttUrl);
    cleanups.push(() => client.endAsync());
    return { influx, hub, client };
  }

  it('loses nothing within the journal bound', async () => {
    const { influx, hub, client } = await setup(100_000);
    const topic = topics.telemetry('estate', 'gw-1', 'meter-7');
    for (let seq = 0; seq < 50; seq += 1) await client.publishAsync(topic, batch(seq, 10), { qos: 1 });
    await waitFor('the first readings in InfluxDB', async () =>
      (await countInInflux(influx)) === 500 ? true : undefined,
    );

    await influx.pause();
    for (let seq = 50; seq < 150; seq += 1) await client.publishAsync(topic, batch(seq, 10), { qos: 1 });
    await waitFor('the hub to notice the outage', () => (hub.journalStats.store_down ? true : undefined));
    const health = await hub.health();
    expect(health.status).toBe('degraded');
    expect(health.journal.pending_readings).toBeGreaterThan(0);

    await influx.resume();
    await waitFor(
      'the journal replayed into InfluxDB',
      async () => ((await countInInflux(influx)) === 1500 ? true : undefined),
      60_000,
    );
    expect(hub.journalStats.dropped_readings).toBe(0);
    expect((await hub.health()).status).toBe('ok');
  });

  it('counts and reports what it drops past the bound', async () => {
    const { influx, hub, client } = await setup(1000);
    const topic = topics.telemetry('estate', 'gw-1', 'meter-7');
    await influx.pause();
    for (let seq = 0; seq < 150; seq += 1) await client.publishAsync(topic, batch(seq, 10), { qos: 1 });
    const health = await hub.health();
    expect(health.journal.dropped_readings).toBe(500);
    expect(health.journal.pending_readings).toBe(1000);
    await influx.resume();
    await waitFor(
      'the kept readings in InfluxDB',
      async () => ((await countInInflux(influx)) === 1000 ? true : undefined),
      60_000,
    );
    // The newest were kept: drop-oldest.
    const oldest = await influx.query(
      `SELECT first("value") FROM "telemetry" WHERE "device" = 'meter-7'`,
      'outage',
    );
    expect(oldest.results[0]?.series?.[0]?.values[0]?.[1]).toBe(50);
  });
});
