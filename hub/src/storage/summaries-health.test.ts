import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { apiPaths, type HealthResponse, type TelemetryBatch, topics } from '@caretaker/protocol';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../hub.js';

/**
 * The SQLite store's summaries failing for real, seen on /healthz: a trigger put on the summary
 * table by another connection to the store's file (as a damaged or read-only table would) makes
 * every summary write fail in the writer thread. The readings must still be stored, /healthz
 * must name the check with the error and since when, the log must say it once, and once the
 * trigger is gone the summaries must be built again by themselves.
 */
const BASE_TS = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000;

function batch(seq: number, value: number): TelemetryBatch {
  const ts = BASE_TS + seq * 60_000;
  return {
    v: 1,
    device: 'pump-1',
    device_type: 'pump',
    seq,
    ts,
    readings: [{ point: 'flow', value, ts, quality: 'good', unit: 'm3/h' }],
  };
}

describe('the store summaries on /healthz', () => {
  let dataDir: string;
  let hub: Hub;
  let client: MqttClient;
  const lines: Array<{ msg?: string; component?: string; error?: string }> = [];
  const topic = topics.telemetry('estate', 'gw-1', 'pump-1');
  let seq = 0;
  const send = async (value: number) => {
    seq += 1;
    await client.publishAsync(topic, JSON.stringify(batch(seq, value)), { qos: 1 });
  };
  const health = async () => {
    const res = await fetch(`${hub.url}${apiPaths.health}`);
    return { status: res.status, body: (await res.json()) as HealthResponse };
  };
  const logged = (msg: string) => lines.filter((l) => l.msg?.startsWith(msg)).length;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'caretaker-summaries-health-'));
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      }),
    );
    hub = new Hub(
      {
        demo: true,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { host: '127.0.0.1', port: 0 },
        dataDir,
        store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
      },
      { log, dashboardDir: join(dataDir, 'no-dashboard'), storeSummaryRetryMs: 50 },
    );
    await hub.start();
    client = await mqtt.connectAsync(hub.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await client?.endAsync(true);
    await hub?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says when keeping them fails, keeps the readings, and recovers by itself', async () => {
    for (const value of [10, 20]) await send(value);
    await expect.poll(async () => (await health()).body.checks?.store_summaries?.state).toBe('ready');
    const healthy = await health();
    expect(healthy.status).toBe(200);
    expect(healthy.body.checks?.store_summaries).toEqual({
      ok: true,
      state: 'ready',
      error: null,
      since: null,
    });

    // Another connection to the store's file refuses every new summary row.
    const other = new Database(join(dataDir, 'readings.db'));
    other.exec(`CREATE TRIGGER refuse_summaries BEFORE INSERT ON rollups
      BEGIN SELECT RAISE(ABORT, 'summaries refused'); END`);
    const before = Date.now();
    for (const value of [30, 40, 50]) await send(value);

    await expect.poll(async () => (await health()).status).toBe(503);
    const degraded = await health();
    expect(degraded.body.status).toBe('degraded');
    const check = degraded.body.checks?.store_summaries;
    expect(check).toMatchObject({ ok: false, state: 'failing' });
    expect(check?.error).toMatch(/^summaries: .*summaries refused/);
    expect(check?.since).toBeGreaterThanOrEqual(before);
    expect(check?.since).toBeLessThanOrEqual(Date.now());
    // The rest of the hub is fine: only this check says degraded.
    expect(degraded.body.store.ok).toBe(true);
    expect(degraded.body.journal.store_down).toBe(false);

    // Every reading is stored, and the series answers from the samples meanwhile.
    const range = `from=${BASE_TS}&to=${BASE_TS + 3_600_000}`;
    const stored = await fetch(`${hub.url}/api/devices/pump-1/readings?point=flow&${range}`);
    const readings = ((await stored.json()) as { readings: Array<{ value: number }> }).readings;
    expect(readings.map((r) => r.value)).toEqual([10, 20, 30, 40, 50]);

    // Built again from the samples, which fails too while the trigger is there: tried again
    // (from 50 ms, twice as late each time), the check says the latest error, the same since,
    // and the log told it once.
    await expect
      .poll(async () => (await health()).body.checks?.store_summaries?.error)
      .toMatch(/^summaries: building them failed: .*summaries refused/);
    expect((await health()).body.checks?.store_summaries?.since).toBe(check?.since);
    expect(logged('store summaries failed')).toBe(1);
    expect(lines.find((l) => l.msg?.startsWith('store summaries failed'))?.component).toBe('store');

    // The table is whole again: the summaries are built again and /healthz says so.
    other.exec('DROP TRIGGER refuse_summaries');
    other.close();
    // The next try comes at most twice the time it has been failing later.
    await expect.poll(async () => (await health()).status, { timeout: 30_000 }).toBe(200);
    expect((await health()).body.checks?.store_summaries).toEqual({
      ok: true,
      state: 'ready',
      error: null,
      since: null,
    });
    expect(logged('store summaries built again')).toBe(1);
    // Rebuilt from the samples: the hour's summary holds every reading, the failed ones too.
    const series = await fetch(`${hub.url}/api/devices/pump-1/series?point=flow&${range}&buckets=1`);
    const [bucket] = ((await series.json()) as { buckets: Array<{ mean: number; count: number }> }).buckets;
    expect(bucket).toMatchObject({ mean: 30, count: 5 });
  });
});
