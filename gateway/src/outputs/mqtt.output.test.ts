import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TelemetryBatch, telemetryBatchSchema, topics } from '@caretaker/protocol';
import getPort from 'get-port';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySpool } from '../spool/memory.spool.js';
import type { Spool } from '../spool/spool.js';
import { SqliteSpool } from '../spool/sqlite.spool.js';
import { type RecordedMessage, startTestBroker, type TestBroker } from '../testing/mqtt-test-broker.js';
import { testLogger } from '../testing/test-logger.js';
import { type ForwardingOptions, MqttOutput } from './mqtt.output.js';

let cleanups: Array<() => Promise<void> | void> = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-output-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  cleanups = [];
  await rm(dir, { recursive: true, force: true });
});

const TELEMETRY = topics.telemetry('s', 'g', 'd');
const FAST: ForwardingOptions = { flushIntervalMs: 20, replayRatePerS: 10_000, maxInflight: 100 };

function sqlite(limits = { maxBytes: 10_000_000, maxAgeMs: 3_600_000 }): Spool {
  const spool = new SqliteSpool(path.join(dir, 'spool.db'), limits);
  cleanups.push(() => spool.close());
  return spool;
}

function output(url: string, spool: Spool, forwarding: Partial<ForwardingOptions> = {}): MqttOutput {
  const out = new MqttOutput({
    site: 's',
    gateway: 'g',
    mqtt: { url, client_id: `test-gateway-${Math.random()}`, keepalive_s: 5, max_inflight: 100 },
    spool,
    forwarding: { ...FAST, ...forwarding },
    devices: ['d'],
    version: '9.9.9',
    now: () => Date.now(),
    logger: testLogger('test:mqtt'),
    reconnectPeriodMs: 200,
  });
  cleanups.push(() => out.stop());
  return out;
}

async function broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const started = await startTestBroker(options);
  cleanups.push(() => started.close());
  return started;
}

const write = (out: MqttOutput, value: number) =>
  out.writeTelemetry({
    device: 'd',
    device_type: 'pump',
    readings: [{ point: 'p', value, ts: 1000, quality: 'good' }],
  });

const batches = (messages: readonly RecordedMessage[]): TelemetryBatch[] =>
  messages.filter((m) => m.topic === TELEMETRY).map((m) => telemetryBatchSchema.parse(m.json));

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('MqttOutput with the spool', () => {
  it('spools while the broker is away, then replays the backlog in order, marked historical', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const spool = sqlite();
    const out = output(`mqtt://127.0.0.1:${port}`, spool);
    await out.start(); // returns although nobody listens
    for (let i = 0; i < 10; i++) write(out, i);
    await until('the backlog on disk', () => spool.depth === 10);
    expect(out.stats).toMatchObject({ spoolDepth: 10, seq: 10, acked: 0, dropped: 0 });

    const mqtt = await broker({ port });
    await until('the backlog delivered', () => batches(mqtt.published.messages).length === 10, 15_000);
    const sent = batches(mqtt.published.messages);
    expect(sent.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sent.map((b) => b.readings[0]?.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sent.every((b) => b.historical === true)).toBe(true);
    // The online status goes out before the backlog.
    const statusIndex = mqtt.published.messages.findIndex((m) => m.topic === topics.gatewayStatus('s', 'g'));
    const firstTelemetry = mqtt.published.messages.findIndex((m) => m.topic === TELEMETRY);
    expect(statusIndex).toBeGreaterThanOrEqual(0);
    expect(statusIndex).toBeLessThan(firstTelemetry);
    // Acknowledged batches leave the spool; new ones go out live.
    await until('the spool emptied', () => spool.depth === 0);
    write(out, 42);
    await until('a live batch', () => batches(mqtt.published.messages).length === 11);
    expect(batches(mqtt.published.messages)[10]).toMatchObject({ seq: 10, readings: [{ value: 42 }] });
    expect(batches(mqtt.published.messages)[10]?.historical).toBeUndefined();
    // The broker saw it; its PUBACK reaches the gateway a moment later.
    await until('the live batch acknowledged', () => out.stats.acked === 11);
    expect(out.stats).toMatchObject({ acked: 11, replayed: 10 });
  });

  it('removes a batch only once the broker acknowledged it', async () => {
    const held: Array<() => void> = [];
    let hold = true;
    const mqtt = await broker({
      beforeAck: (topic, ack) => (hold && topic === TELEMETRY ? held.push(ack) : ack()),
    });
    const spool = sqlite();
    const out = output(mqtt.url, spool);
    await out.start();
    write(out, 1);
    write(out, 2);
    await until('two publishes waiting for PUBACK', () => held.length === 2);
    // Published, not acknowledged: still in the spool (a crash now would send them again).
    expect(spool.depth).toBe(2);
    expect(out.stats.inflight).toBe(2);
    hold = false;
    for (const ack of held) ack();
    await until('the spool emptied', () => spool.depth === 0);
    expect(out.stats).toMatchObject({ acked: 2, inflight: 0 });
  });

  it('drops the oldest batches beyond the byte limit, counts them, and the gap shows in seq', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    // A batch of this shape is about 130 bytes: room for about 5.
    const spool = new MemorySpool({ maxBytes: 700, maxAgeMs: 3_600_000 });
    const out = output(`mqtt://127.0.0.1:${port}`, spool);
    await out.start();
    for (let i = 0; i < 20; i++) write(out, i);
    await until('the backlog committed', () => out.stats.pending === 0 && spool.depth > 0);
    const kept = spool.depth;
    expect(kept).toBeLessThan(20);
    expect(out.stats.dropped).toBe(20 - kept);
    const mqtt = await broker({ port });
    await until('the rest delivered', () => batches(mqtt.published.messages).length === kept, 15_000);
    // The newest survive; the hub sees seq start at 20 - kept: the dropped ones are a gap.
    expect(batches(mqtt.published.messages).map((b) => b.seq)).toEqual(
      Array.from({ length: kept }, (_, i) => 20 - kept + i),
    );
  });

  it('keeps live data flowing while it replays a backlog at the capped rate', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const spool = sqlite();
    const out = output(`mqtt://127.0.0.1:${port}`, spool, { replayRatePerS: 40 });
    await out.start();
    for (let i = 0; i < 40; i++) write(out, i);
    await until('the backlog on disk', () => spool.depth === 40);
    const mqtt = await broker({ port });
    await until('replay under way', () => batches(mqtt.published.messages).length > 0, 15_000);
    // Live batches written while the replay goes on.
    for (let i = 0; i < 3; i++) {
      write(out, 100 + i);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await until('everything delivered', () => batches(mqtt.published.messages).length === 43, 15_000);
    const sent = batches(mqtt.published.messages);
    const live = sent.filter((b) => b.historical !== true);
    const historical = sent.filter((b) => b.historical === true);
    expect(live.map((b) => b.seq)).toEqual([40, 41, 42]);
    expect(historical.map((b) => b.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // The live ones did not wait for the end of the backlog.
    const lastHistorical = sent.findIndex((b) => b.seq === 39);
    const firstLive = sent.findIndex((b) => b.seq === 40);
    expect(firstLive).toBeLessThan(lastHistorical);
  });

  it('continues the sequence after a restart and sends what the last run left behind', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const first = output(`mqtt://127.0.0.1:${port}`, sqlite());
    await first.start();
    for (let i = 0; i < 3; i++) write(first, i);
    await first.stop(); // a clean stop commits what is pending
    cleanups.pop();
    const spool1 = cleanups.pop();
    await Promise.resolve(spool1?.());

    const mqtt = await broker({ port });
    const spool = sqlite();
    expect(spool.nextSeq).toBe(3);
    const second = output(mqtt.url, spool);
    await second.start();
    write(second, 3);
    await until('backlog and new batch', () => batches(mqtt.published.messages).length === 4);
    const sent = batches(mqtt.published.messages);
    expect(sent.map((b) => b.seq).sort()).toEqual([0, 1, 2, 3]);
    expect(sent.find((b) => b.seq === 3)?.historical).toBeUndefined();
    expect(sent.filter((b) => b.seq < 3).every((b) => b.historical === true)).toBe(true);
  });
});

describe('MqttOutput device list', () => {
  const STATUS = topics.gatewayStatus('s', 'g');
  const devicesIn = (m: { json: unknown }) => (m.json as { devices?: string[] }).devices;

  it('announces a new device list at once when connected, and on the next connect when not', async () => {
    const mqtt = await broker();
    const out = output(mqtt.url, sqlite());
    await out.start();
    await mqtt.published.waitFor('the first online status', (m) => m.topic === STATUS);
    out.setDevices(['d', 'e']);
    const reannounced = await mqtt.published.waitFor(
      'the new list',
      (m) => m.topic === STATUS && devicesIn(m)?.length === 2,
    );
    expect(reannounced).toMatchObject({ retain: true, json: { state: 'online', devices: ['d', 'e'] } });

    // Away from the broker: the list waits for the next connection, and goes out before telemetry.
    const port = mqtt.port;
    await mqtt.close();
    await until('disconnected', () => !out.stats.connected);
    out.setDevices(['e']);
    write(out, 1);
    const again = await broker({ port });
    const status = await again.published.waitFor('the list on reconnect', (m) => m.topic === STATUS);
    expect(devicesIn(status)).toEqual(['e']);
    await until('the telemetry', () => batches(again.published.messages).length === 1, 15_000);
    const statusIndex = again.published.messages.indexOf(status);
    expect(statusIndex).toBeLessThan(again.published.messages.findIndex((m) => m.topic === TELEMETRY));
  });
});
