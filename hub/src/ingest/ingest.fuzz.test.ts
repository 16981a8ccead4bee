import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom, type TelemetryBatch, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { HubConfig } from '../config.js';
import { Hub } from '../hub.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

const BASE_TS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;

function goodBatch(seq: number): TelemetryBatch {
  const ts = BASE_TS + seq * 1000;
  return {
    v: 1,
    device: 'pump-f',
    device_type: 'pump',
    seq,
    ts,
    readings: [
      { point: 'flow', value: seq, ts, quality: 'good', unit: 'm3/h' },
      { point: 'running', value: true, ts, quality: 'good' },
    ],
  };
}

const WEIRD_VALUES: unknown[] = [
  null,
  true,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  '∞',
  'x'.repeat(5000),
  [],
  {},
  [[[[[[[[[[]]]]]]]]]],
  { v: 1 },
  '__proto__',
];

/** A random mutation of a valid batch: a field replaced, removed or added, or raw bytes flipped. */
function mutate(rand: () => number, seq: number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  // Mutants that happen to stay valid are accepted, as they should be; they report another
  // point, so they never disturb the `flow` series the test audits.
  const base = goodBatch(seq);
  base.readings = base.readings.map((r) => ({ ...r, point: 'noise' }));
  const batch = base as unknown as Record<string, unknown>;
  const reading = (batch.readings as Record<string, unknown>[])[0] as Record<string, unknown>;
  switch (Math.floor(rand() * 7)) {
    case 0:
      batch[pick(Object.keys(batch))] = pick(WEIRD_VALUES);
      break;
    case 1:
      delete batch[pick(Object.keys(batch))];
      break;
    case 2:
      reading[pick(Object.keys(reading))] = pick(WEIRD_VALUES);
      break;
    case 3:
      batch[pick(['extra', '__proto__', 'constructor'])] = pick(WEIRD_VALUES);
      break;
    case 4: {
      const bytes = Buffer.from(JSON.stringify(batch));
      for (let i = 0; i < 1 + rand() * 5; i += 1)
        bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      return bytes;
    }
    case 5:
      return Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
    default:
      batch.device = pick(['pump-g', 'a/b', '', 'p'.repeat(100)]);
  }
  return Buffer.from(JSON.stringify(batch));
}

describe('ingest fuzzing', () => {
  it(`keeps ingesting good batches among random and mutated ones (seed ${SEED})`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-fuzz-'));
    const log = createLogger('hub');
    log.level = 'silent';
    const config: HubConfig = {
      demo: true,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      dataDir,
      journal: { maxReadings: 1_000_000, durability: 'normal' },
      store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
    };
    const hub = new Hub(config, { log, dashboardDir: join(dataDir, 'none') });
    await hub.start();
    const client = await mqtt.connectAsync(hub.mqttUrl);
    try {
      // Seeded, so a failing run can be replayed with its seed.
      const random = createRandom(SEED);
      const rand = random.next;
      const topic = topics.telemetry('estate', 'gw-f', 'pump-f');
      const otherTopics = [
        topics.deviceStatus('estate', 'gw-f', 'pump-f'),
        topics.gatewayStatus('estate', 'gw-f'),
        'caretaker/v1/estate/gw-f/device/pump-f/bogus',
        'caretaker/v1/x',
      ];
      let good = 0;
      let bad = 0;
      for (let i = 0; i < 2000; i += 1) {
        if (rand() < 0.25) {
          await client.publishAsync(topic, JSON.stringify(goodBatch(good)), { qos: 1 });
          good += 1;
        } else {
          const target =
            rand() < 0.8 ? topic : (otherTopics[Math.floor(rand() * otherTopics.length)] as string);
          await client.publishAsync(target, mutate(rand, 100_000 + i), { qos: rand() < 0.5 ? 0 : 1 });
          bad += 1;
        }
      }
      // A last good batch published after all the noise must still arrive.
      await client.publishAsync(topic, JSON.stringify(goodBatch(good)), { qos: 1 });
      good += 1;

      await hub.flush();
      expect(hub.stats.accepted_batches).toBeGreaterThanOrEqual(good);
      expect(hub.stats.rejected).toBeGreaterThan(bad / 2);
      expect(hub.live.get('pump-f')?.latest.flow?.value).toBe(good - 1);
      const stored = (await (
        await fetch(
          `${hub.url}/api/devices/pump-f/readings?point=flow&from=${BASE_TS}&to=${BASE_TS + 86_400_000}`,
        )
      ).json()) as { readings: unknown[] };
      expect(stored.readings.length).toBe(good);
      expect((await hub.health()).status).toBe('ok');
    } finally {
      await client.endAsync();
      await hub.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
