/**
 * `npm run bench:hub`: the hub's figures, each against a baseline measured in the same run.
 * Prints one JSON document. Set BENCH_SCALE=0.1 for a quick run, BENCH_ONLY=ingest,influx,latency,zero-loss
 * for some parts (influx includes the InfluxDB latency); for the ingest part, BENCH_QOS=0 or 1 for one
 * QoS and BENCH_ROUNDS (default 3) for the number of bare/hub pairs, run alternately.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type TelemetryBatch, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import { Aedes } from 'aedes';
import getPort from 'get-port';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket } from 'socket.io-client';
import { startHubProcess } from '../../test/support/hub-process.js';
import { type RunningInfluxDb, startInfluxDb } from '../../test/support/influxdb.js';
import { measureDetectionCost } from '../src/alarms/detection-cost.js';
import type { HubConfig } from '../src/config.js';
import { Hub } from '../src/hub.js';
import { Journal } from '../src/ingest/journal.js';
import { StoreWriter } from '../src/ingest/store-writer.js';
import { InfluxStore, toLineProtocol } from '../src/storage/influx.store.js';
import {
  isDeviceReadings,
  type ReadingsToStore,
  type StoredReading,
  type TimeSeriesStore,
} from '../src/storage/time-series-store.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const log = createLogger('bench');
log.level = 'silent';
const BASE_TS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;
const READINGS_PER_BATCH = 10;

function payload(seq: number, device = 'pump-b', ts = BASE_TS + seq): string {
  const batch: TelemetryBatch = {
    v: 1,
    device,
    device_type: 'pump',
    seq,
    ts,
    readings: Array.from({ length: READINGS_PER_BATCH }, (_, i) => ({
      point: `p${i}`,
      value: seq + i / 10,
      ts,
      quality: 'good' as const,
      unit: 'bar',
    })),
  };
  return JSON.stringify(batch);
}

const topic = topics.telemetry('bench', 'gw-bench', 'pump-b');
const progress = (what: string) => process.stderr.write(`bench:hub ${what}\n`);
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'caretaker-bench-'));
}

async function hubConfig(dataDir: string, store?: HubConfig['store']): Promise<HubConfig> {
  return {
    demo: true,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    dataDir,
    journal: { maxReadings: 10_000_000, durability: 'full' },
    store: store ?? { kind: 'sqlite', path: join(dataDir, 'readings.db') },
  };
}

/**
 * Publishes `count` batches from `publishers` clients; resolves when all are sent (QoS 1:
 * acknowledged) with a function that disconnects the clients. Callers disconnect only after
 * counting: QoS 0 gives no guarantee for what is still queued when a client leaves.
 */
async function publishAll(
  url: string,
  count: number,
  qos: 0 | 1,
  publishers = 4,
): Promise<() => Promise<void>> {
  progress(`  publishing ${count} at QoS ${qos}`);
  const clients = await Promise.all(Array.from({ length: publishers }, () => mqtt.connectAsync(url)));
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      const inflight: Promise<unknown>[] = [];
      while (next < count) {
        const seq = next++;
        inflight.push(client.publishAsync(topic, payload(seq), { qos }));
        if (inflight.length >= 200) await Promise.all(inflight.splice(0));
      }
      await Promise.all(inflight);
    }),
  );
  progress('  published');
  return async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
  };
}

interface Publisher {
  /** Starts publishing; resolves when all is sent (QoS 1: acknowledged). */
  go(): Promise<{
    /** performance.now() when publishing started. */
    startedAt: number;
    /** CPU time of the publisher thread while publishing, ms (null without Linux's /proc). */
    cpuMs: number | null;
  }>;
  /** Disconnects the publishers. */
  end(): Promise<void>;
}

/**
 * Like publishAll, from a worker thread: the throughput comparisons measure the broker side,
 * with the load generated elsewhere as real gateways are. Resolves once the publishers are
 * connected, so thread start-up and connecting are outside the measurement.
 */
async function startPublisher(url: string, count: number, qos: 0 | 1): Promise<Publisher> {
  const worker = new Worker(new URL('./publisher.worker.mjs', import.meta.url), {
    workerData: {
      url,
      count,
      qos,
      gateways: Array.from({ length: 4 }, (_, i) => ({
        topic: topics.telemetry('bench', `gw-bench-${i}`, `pump-${i}`),
        device: `pump-${i}`,
      })),
      baseTs: BASE_TS,
      readingsPerBatch: READINGS_PER_BATCH,
    },
  });
  const next = () =>
    new Promise<{ cpuMs?: number | null }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  await next(); // connected
  return {
    go: async () => {
      progress(`  publishing ${count} at QoS ${qos} from a worker thread`);
      const published = next();
      const startedAt = performance.now();
      worker.postMessage('go');
      const { cpuMs } = await published;
      progress('  published');
      return { startedAt, cpuMs: cpuMs ?? null };
    },
    end: async () => {
      const ended = next();
      worker.postMessage('end');
      await ended;
      await worker.terminate();
    },
  };
}

/** CPU time of the whole process since `since` (process.cpuUsage()), ms. */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

interface IngestRun {
  rate: number;
  /** Broker-side CPU per 1,000 messages (the process minus the publisher thread), ms. */
  cpu_ms_per_1000: number | null;
}

/** Messages per second through a bare aedes broker to a no-op subscriber. */
async function bareBroker(count: number, qos: 0 | 1): Promise<IngestRun> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  const port = await getPort({ host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${port}`;
  const subscriber = await mqtt.connectAsync(url);
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  subscriber.on('message', () => {
    received += 1;
    if (received === count) done();
  });
  await subscriber.subscribeAsync(topics.all(), { qos });
  const publisher = await startPublisher(url, count, qos);
  const cpu = process.cpuUsage();
  const publishing = publisher.go();
  await all;
  const now = performance.now();
  const { startedAt, cpuMs: publisherCpuMs } = await publishing;
  const cpuMs = cpuMsSince(cpu);
  await publisher.end();
  await subscriber.endAsync();
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  server.close();
  return {
    rate: count / ((now - startedAt) / 1000),
    cpu_ms_per_1000: publisherCpuMs === null ? null : ((cpuMs - publisherCpuMs) * 1000) / count,
  };
}

/** Messages per second validated and made durable by the hub (acknowledged only then for QoS 1). */
async function hubIngest(count: number, qos: 0 | 1): Promise<IngestRun & { stored_rate: number }> {
  const dataDir = await tempDir();
  const hub = new Hub(await hubConfig(dataDir), { log, dashboardDir: join(dataDir, 'none') });
  await hub.start();
  const publisher = await startPublisher(hub.mqttUrl, count, qos);
  const cpu = process.cpuUsage();
  const publishing = publisher.go();
  const deadline = Date.now() + Number(process.env.BENCH_WAIT_MS ?? 120_000);
  while (hub.stats.accepted_batches < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `hub ingest: ${hub.stats.accepted_batches} of ${count} accepted after 120 s (${JSON.stringify(hub.stats)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const now = performance.now();
  const { startedAt, cpuMs: publisherCpuMs } = await publishing;
  const cpuMs = cpuMsSince(cpu);
  await publisher.end();
  await hub.flush();
  const stored = performance.now();
  await hub.stop();
  await rm(dataDir, { recursive: true, force: true });
  return {
    rate: count / ((now - startedAt) / 1000),
    stored_rate: count / ((stored - startedAt) / 1000),
    cpu_ms_per_1000: publisherCpuMs === null ? null : ((cpuMs - publisherCpuMs) * 1000) / count,
  };
}

function readings(n: number, offset = 0): StoredReading[] {
  return Array.from({ length: n }, (_, i) => ({
    site: 'bench',
    gateway: 'gw',
    device: `meter-${(i + offset) % 20}`,
    device_type: 'power_meter',
    point: 'active_power',
    ts: BASE_TS + i + offset,
    value: i / 3,
    quality: 'good',
  }));
}

/** Raw line-protocol writer vs the hub's journal → store writer, same batch size, same server. */
async function influxWrites(influx: RunningInfluxDb, total: number, batchSize: number) {
  await influx.query('CREATE DATABASE raw');
  const data = readings(total);
  let start = performance.now();
  for (let i = 0; i < total; i += batchSize) {
    const body = data
      .slice(i, i + batchSize)
      .map(toLineProtocol)
      .join('\n');
    const res = await fetch(`${influx.url}/write?db=raw&precision=ms`, { method: 'POST', body });
    if (res.status !== 204) throw new Error(`raw write failed: ${res.status}`);
  }
  const raw = total / ((performance.now() - start) / 1000);

  const dataDir = await tempDir();
  const store: TimeSeriesStore = new InfluxStore({ api: 'v1', url: influx.url, database: 'hub' });
  await store.init();
  const journal = new Journal({
    path: join(dataDir, 'journal.db'),
    maxReadings: 10_000_000,
    durability: 'full',
  });
  journal.open();
  for (let i = 0; i < total; i += 100) await journal.append(data.slice(i, i + 100));
  const writer = new StoreWriter({
    journal,
    store,
    log,
    batchSize,
    flushIntervalMs: 200,
    minBackoffMs: 500,
    maxBackoffMs: 5000,
  });
  start = performance.now();
  await writer.drain();
  const hub = total / ((performance.now() - start) / 1000);
  journal.close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
  return {
    batch_size: batchSize,
    readings: total,
    raw_writer_per_s: Math.round(raw),
    hub_writer_per_s: Math.round(hub),
    ratio: round(hub / raw),
  };
}

/** Publish → stored and publish → socket.io client latency at a steady 1,000 readings/s. */
async function latency(seconds: number, store: HubConfig['store'] | undefined) {
  const dataDir = await tempDir();
  const hub = new Hub(await hubConfig(dataDir, store), { log, dashboardDir: join(dataDir, 'none') });
  const storedAt = new Map<number, number>();
  // Observe the store's writes without changing them: wrap write() of the live instance.
  const inner = (hub as unknown as { store: TimeSeriesStore }).store;
  const noteStored = (rows: ReadingsToStore) => {
    const now = performance.now();
    for (const row of isDeviceReadings(rows) ? rows.readings : rows) {
      if (row.point === 'p0') storedAt.set(row.ts, now);
    }
  };
  const write = inner.write.bind(inner);
  inner.write = async (rows) => {
    await write(rows);
    noteStored(rows);
  };
  // The embedded store takes readings straight from the journal's commit.
  const writeDurably = inner.writeDurably?.bind(inner);
  if (writeDurably) {
    inner.writeDurably = async (rows) => {
      await writeDurably(rows);
      noteStored(rows);
    };
  }
  await hub.start();
  const socket = connectSocket(hub.url, { transports: ['websocket'] });
  const browserAt = new Map<number, number>();
  socket.on('readings.updated', ({ devices }) => {
    const now = performance.now();
    for (const d of devices) for (const r of d.readings) if (r.point === 'p0') browserAt.set(r.ts, now);
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const client: MqttClient = await mqtt.connectAsync(hub.mqttUrl);
  const sentAt = new Map<number, number>();
  const batchesPerSecond = 1000 / READINGS_PER_BATCH;
  const total = Math.round(seconds * batchesPerSecond);
  const t0 = performance.now();
  for (let seq = 0; seq < total; seq += 1) {
    const due = t0 + (seq * 1000) / batchesPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const ts = BASE_TS + seq;
    sentAt.set(ts, performance.now());
    client.publish(topic, payload(seq, 'pump-b', ts), { qos: 1 });
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await hub.flush();
  const stored = [...sentAt]
    .filter(([ts]) => storedAt.has(ts))
    .map(([ts, sent]) => (storedAt.get(ts) ?? 0) - sent)
    .sort((a, b) => a - b);
  // Coalescing keeps only the newest value per flush, so only the batches that were newest reach the browser.
  const browser = [...sentAt]
    .filter(([ts]) => browserAt.has(ts))
    .map(([ts, sent]) => (browserAt.get(ts) ?? 0) - sent)
    .sort((a, b) => a - b);
  socket.close();
  await client.endAsync();
  await hub.stop();
  await rm(dataDir, { recursive: true, force: true });
  return {
    readings_per_s: 1000,
    store: store?.kind ?? 'sqlite',
    publish_to_stored_ms: {
      p50: round(percentile(stored, 50), 1),
      p99: round(percentile(stored, 99), 1),
      samples: stored.length,
    },
    publish_to_browser_ms: {
      p50: round(percentile(browser, 50), 1),
      p99: round(percentile(browser, 99), 1),
      samples: browser.length,
    },
  };
}

/** A QoS 1 flood, then the same flood with the hub killed -9 in the middle: every seq must be stored. */
async function zeroLoss(count: number) {
  const flood = await (async () => {
    const dataDir = await tempDir();
    const hub = new Hub(await hubConfig(dataDir), { log, dashboardDir: join(dataDir, 'none') });
    await hub.start();
    const end = await publishAll(hub.mqttUrl, count, 1);
    await end();
    await hub.flush();
    const res = await fetch(
      `${hub.url}/api/devices/pump-b/series?point=p0&from=${BASE_TS}&to=${BASE_TS + count - 1}&buckets=1`,
    );
    const body = (await res.json()) as { buckets: Array<{ count: number }> };
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
    return {
      messages: count,
      stored: body.buckets[0]?.count ?? 0,
      missing_batches: hub.sequences[0]?.missing ?? 0,
    };
  })();

  const killed = await (async () => {
    const dataDir = await tempDir();
    const ports = {
      httpPort: await getPort({ host: '127.0.0.1' }),
      mqttPort: await getPort({ host: '127.0.0.1' }),
    };
    let hub = await startHubProcess({ ...ports, dataDir });
    const client = mqtt.connect(hub.mqttUrl, { reconnectPeriod: 100 });
    client.on('error', () => undefined);
    let acked = 0;
    let next = 0;
    const send = async (seq: number) => {
      for (;;) {
        try {
          await Promise.race([
            client.publishAsync(topic, payload(seq), { qos: 1 }),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000)),
          ]);
          acked += 1;
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const workers = Array.from({ length: 64 }, async () => {
      while (next < count) await send(next++);
    });
    while (acked < count / 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await hub.kill();
    hub = await startHubProcess({ ...ports, dataDir });
    await Promise.all(workers);
    await client.endAsync();
    let stored = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const res = await fetch(
        `${hub.url}/api/devices/pump-b/series?point=p0&from=${BASE_TS}&to=${BASE_TS + count - 1}&buckets=1`,
      );
      if (res.ok) {
        stored = ((await res.json()) as { buckets: Array<{ count: number }> }).buckets[0]?.count ?? 0;
        if (stored === count) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
    return { messages: count, stored };
  })();
  return { qos1_flood: flood, kill_9_mid_flood: killed };
}

const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (part: string) => !ONLY || ONLY.includes(part);

async function main(): Promise<void> {
  const n = Math.max(1000, Math.round(20_000 * SCALE));
  const result: Record<string, unknown> = { scale: SCALE, readings_per_batch: READINGS_PER_BATCH };
  const ingest: Record<string, unknown> = {};
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
  const levels = ([0, 1] as const).filter(
    (q) => !process.env.BENCH_QOS || Number(process.env.BENCH_QOS) === q,
  );
  for (const qos of wanted('ingest') ? levels : []) {
    // Bare and hub alternate, so a busy moment of a shared machine hits both alike.
    const bare: IngestRun[] = [];
    const hub: Array<IngestRun & { stored_rate: number }> = [];
    for (let r = 1; r <= rounds; r += 1) {
      progress(`bare aedes, QoS ${qos} (round ${r} of ${rounds})`);
      bare.push(await bareBroker(n, qos));
      progress(`hub ingest, QoS ${qos} (round ${r} of ${rounds})`);
      hub.push(await hubIngest(n, qos));
    }
    const ratios = hub.map((h, i) => h.rate / (bare[i] as IngestRun).rate);
    const cpu = (runs: IngestRun[]) => {
      const values = runs.map((r) => r.cpu_ms_per_1000).filter((v): v is number => v !== null);
      return values.length > 0 ? round(median(values), 1) : null;
    };
    ingest[`qos${qos}`] = {
      batches: n,
      rounds,
      bare_aedes_msgs_per_s: Math.round(median(bare.map((b) => b.rate))),
      hub_msgs_per_s: Math.round(median(hub.map((h) => h.rate))),
      hub_readings_per_s: Math.round(median(hub.map((h) => h.rate)) * READINGS_PER_BATCH),
      ratio: round(median(ratios)),
      ratio_per_round: ratios.map((r) => round(r)),
      hub_stored_msgs_per_s: Math.round(median(hub.map((h) => h.stored_rate))),
      broker_cpu_ms_per_1000_msgs: { bare_aedes: cpu(bare), hub: cpu(hub) },
    };
  }
  if (wanted('ingest')) result.ingest = ingest;

  if (wanted('detection')) {
    // Live detection's share of the hub's per-reading ingest cost, both measured in this run:
    // the shipped rule pack through the same onTelemetry the hub calls, against the hub's CPU
    // per reading at QoS 1 (which includes detection already).
    progress('detection cost');
    const qos1 = ingest.qos1 as { broker_cpu_ms_per_1000_msgs: { hub: number | null } } | undefined;
    const hubCpu = qos1?.broker_cpu_ms_per_1000_msgs.hub ?? (await hubIngest(n, 1)).cpu_ms_per_1000;
    const detection = await measureDetectionCost();
    const ingestNs = hubCpu === null ? null : (hubCpu * 1e6) / (1000 * READINGS_PER_BATCH);
    result.detection = {
      rule_pack_ns_per_reading: detection.ns_per_reading,
      pump_rules: detection.rules,
      hub_ingest_cpu_ns_per_reading: ingestNs === null ? null : Math.round(ingestNs),
      share_of_ingest: ingestNs === null ? null : round(detection.ns_per_reading / ingestNs, 4),
    };
  }

  let influx: RunningInfluxDb | undefined;
  try {
    if (!wanted('influx')) throw new Error('not selected (BENCH_ONLY)');
    influx = await startInfluxDb();
    progress('InfluxDB writes');
    result.influx_writes = await influxWrites(influx, Math.max(20_000, Math.round(200_000 * SCALE)), 5000);
    progress('latency (InfluxDB)');
    result.latency_influx = await latency(Math.max(3, Math.round(10 * SCALE)), {
      kind: 'influxdb',
      influx: { api: 'v1', url: influx.url, database: 'latency' },
    });
  } catch (err) {
    result.influx_writes = { skipped: `InfluxDB unavailable: ${(err as Error).message}` };
  } finally {
    await influx?.stop();
  }
  if (wanted('latency')) {
    progress('latency (SQLite)');
    result.latency_sqlite = await latency(Math.max(3, Math.round(10 * SCALE)), undefined);
  }
  if (wanted('zero-loss')) {
    progress('zero loss');
    result.zero_loss = await zeroLoss(Math.max(2000, Math.round(100_000 * SCALE)));
  }
  console.log(JSON.stringify(result, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
