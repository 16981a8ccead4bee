import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPaths, type ReadingsResponse, type TelemetryBatch, topics } from '@caretaker/protocol';
import getPort from 'get-port';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { waitFor } from '../support/stack.js';

const BATCHES = 3000;
// Recent enough for the hub's timestamp sanity check, whatever the date of the run.
const BASE_TS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;
const topic = topics.telemetry('estate', 'gw-crash', 'pump-9');

function batch(seq: number): string {
  const ts = BASE_TS + seq;
  const body: TelemetryBatch = {
    v: 1,
    device: 'pump-9',
    device_type: 'pump',
    seq,
    ts,
    readings: [{ point: 'flow', value: seq, ts, quality: 'good' }],
  };
  return JSON.stringify(body);
}

describe('a hub killed with SIGKILL mid-stream', () => {
  let hub: HubProcess | undefined;
  let dataDir = '';

  afterAll(async () => {
    await hub?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stores every reading it acknowledged, once restarted', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'caretaker-crash-'));
    const ports = {
      httpPort: await getPort({ host: '127.0.0.1' }),
      mqttPort: await getPort({ host: '127.0.0.1' }),
    };
    hub = await startHubProcess({ ...ports, dataDir });

    // A publisher that, like the gateway's spool, keeps a batch until the broker acknowledges it.
    const client = mqtt.connect(hub.mqttUrl, { reconnectPeriod: 100, connectTimeout: 2000 });
    client.on('error', () => undefined);
    const acked = new Set<number>();
    let next = 0;
    const publishUntilAcked = async (seq: number) => {
      for (;;) {
        try {
          await Promise.race([
            client.publishAsync(topic, batch(seq), { qos: 1 }),
            new Promise((_, reject) => setTimeout(() => reject(new Error('no PUBACK in time')), 3000)),
          ]);
          acked.add(seq);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const workers = Array.from({ length: 16 }, async () => {
      while (next < BATCHES) await publishUntilAcked(next++);
    });

    await waitFor('a third of the batches acknowledged', () => (acked.size > BATCHES / 3 ? true : undefined));
    const ackedBeforeCrash = acked.size;
    await hub.kill();
    hub = await startHubProcess({ ...ports, dataDir });
    await Promise.all(workers);
    await client.endAsync();
    expect(ackedBeforeCrash).toBeLessThan(BATCHES);

    const stored = await waitFor(
      'every batch in the store',
      async () => {
        const res = await fetch(
          `${hub?.url}${apiPaths.readings('pump-9')}?point=flow&from=${BASE_TS}&to=${BASE_TS + BATCHES}&limit=10000`,
        );
        if (!res.ok) return undefined;
        const body = (await res.json()) as ReadingsResponse;
        return body.readings.length === BATCHES ? body : undefined;
      },
      60_000,
    );
    const seqs = new Set(stored.readings.map((r) => r.ts - BASE_TS));
    const missing = Array.from({ length: BATCHES }, (_, i) => i).filter((seq) => !seqs.has(seq));
    expect(missing).toEqual([]);
  });
});
