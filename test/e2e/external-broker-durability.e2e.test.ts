import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPaths, type ReadingsResponse, type TelemetryBatch, topics } from '@caretaker/protocol';
import getPort from 'get-port';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { requireBinary } from '../support/require-binary.js';
import { waitFor } from '../support/wait-for.js';

const installed = requireBinary('mosquitto', 'apt-get install mosquitto');
const BATCHES = 5000;
// Recent enough for the hub's timestamp sanity check, whatever the date of the run.
const BASE_TS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;

function batch(seq: number): string {
  const ts = BASE_TS + seq;
  const body: TelemetryBatch = {
    v: 1,
    device: 'pump-m',
    device_type: 'pump',
    seq,
    ts,
    readings: [{ point: 'flow', value: seq, ts, quality: 'good' }],
  };
  return JSON.stringify(body);
}

describe.runIf(installed)('external Mosquitto with the shipped settings, hub killed mid-stream', () => {
  let mosquitto: RunningMosquitto | undefined;
  let hub: HubProcess | undefined;
  let dataDir = '';

  afterAll(async () => {
    await hub?.stop();
    await mosquitto?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps the hub's messages in its persistent session and redelivers what it never acknowledged", async () => {
    mosquitto = await startMosquitto({ shippedConfig: true });
    dataDir = await mkdtemp(join(tmpdir(), 'caretaker-ext-crash-'));
    const ports = {
      httpPort: await getPort({ host: '127.0.0.1' }),
      mqttPort: await getPort({ host: '127.0.0.1' }),
    };
    const env = { MQTT_URL: mosquitto.url, MQTT_CLIENT_ID: 'caretaker-hub-test' };
    hub = await startHubProcess({ ...ports, dataDir, env });

    // The gateway side: Mosquitto acknowledges each publish; from then on it is the broker's.
    const publisher = await mqtt.connectAsync(mosquitto.url);
    const topic = topics.telemetry('estate', 'gw-ext', 'pump-m');
    for (let seq = 0; seq < BATCHES / 2; seq += 1)
      await publisher.publishAsync(topic, batch(seq), { qos: 1 });
    await hub.kill();
    // While the hub is down, the broker queues for its session (the default queue would drop).
    for (let seq = BATCHES / 2; seq < BATCHES; seq += 1)
      await publisher.publishAsync(topic, batch(seq), { qos: 1 });
    await publisher.endAsync();
    hub = await startHubProcess({ ...ports, dataDir, env });

    const stored = await waitFor(
      'every batch stored',
      async () => {
        const res = await fetch(
          `${hub?.url}${apiPaths.readings('pump-m')}?point=flow&from=${BASE_TS}&to=${BASE_TS + BATCHES}&limit=10000`,
        );
        if (!res.ok) return undefined;
        const body = (await res.json()) as ReadingsResponse;
        return body.readings.length === BATCHES ? body : undefined;
      },
      60_000,
    );
    const seqs = new Set(stored.readings.map((r) => r.ts - BASE_TS));
    expect(Array.from({ length: BATCHES }, (_, i) => i).filter((seq) => !seqs.has(seq))).toEqual([]);
  });
});
