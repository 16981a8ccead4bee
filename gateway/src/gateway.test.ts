import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  deviceStatusSchema,
  gatewayStatusSchema,
  type TelemetryBatch,
  telemetryBatchSchema,
  topics,
} from '@caretaker/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveGatewayConfig } from './config/load-config.js';
import { type Gateway, startGateway } from './gateway.js';
import { MqttOutput } from './outputs/mqtt.output.js';
import {
  type ModbusTestServer,
  startModbusTestServer,
  unusedEndpoint,
} from './testing/modbus-test-server.js';
import {
  MqttRecorder,
  type RecordedMessage,
  startTestBroker,
  type TestBroker,
} from './testing/mqtt-test-broker.js';
import { testLogger } from './testing/test-logger.js';

const SITE = 'test-site';
const GW = 'gw-test';
const STATUS = topics.gatewayStatus(SITE, GW);

// Everything started by a test is registered here and stopped afterwards, newest first.
let cleanups: Array<() => Promise<void>> = [];
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-test-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
});
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups = [];
});

async function broker(): Promise<TestBroker> {
  const started = await startTestBroker();
  cleanups.push(() => started.close());
  return started;
}

async function recorder(url: string): Promise<MqttRecorder> {
  const started = await MqttRecorder.connect(url, topics.all());
  cleanups.push(() => started.close());
  return started;
}

async function modbus(): Promise<ModbusTestServer> {
  const started = await startModbusTestServer({ 1: { holding: { 0: 0b01, 1: 1234, 2: 0x42f6, 3: 0xe979 } } });
  cleanups.push(() => started.close());
  return started;
}

async function gateway(mqttUrl: string, devices: unknown[], now?: () => number): Promise<Gateway> {
  const config = await resolveGatewayConfig(
    { site: SITE, gateway: GW, mqtt: { url: mqttUrl, keepalive_s: 5 }, data_dir: dataDir, devices },
    dataDir,
    { env: {} },
  );
  const started = await startGateway(config, { logger: testLogger, ...(now === undefined ? {} : { now }) });
  cleanups.push(() => started.stop());
  return started;
}

const pumpDevice = (endpoint: string) => ({
  id: 'pump-1',
  protocol: 'modbus-tcp',
  endpoint,
  unit_id: 1,
  device_type: 'pump',
  poll_interval_ms: 100,
  timeout_ms: 300,
  points: [
    { name: 'running', address: 0, type: 'bool', bit: 0 },
    { name: 'flow', address: 1, type: 'uint16', scale: 0.1, unit: 'm3/h' },
    { name: 'pressure', address: 2, type: 'float32', unit: 'bar' },
  ],
});

const isStatus = (state: 'online' | 'offline') => (message: RecordedMessage) =>
  message.topic === STATUS && (message.json as { state?: string } | undefined)?.state === state;

describe('Gateway with a real MQTT broker and a real Modbus server', () => {
  it('publishes valid telemetry with increasing seq, retained statuses, and a Last Will', async () => {
    const mqttBroker = await broker();
    const plc = await modbus();
    const deadEndpoint = await unusedEndpoint();
    const watcher = await recorder(mqttBroker.url);
    const clock = { t: 1_800_000_000_000 };

    const gw = await gateway(
      mqttBroker.url,
      [pumpDevice(plc.endpoint), { ...pumpDevice(deadEndpoint), id: 'dead-pump', poll_interval_ms: 100 }],
      () => clock.t,
    );

    // The retained online status, announcing version and devices.
    const online = await watcher.waitFor('online status', isStatus('online'));
    expect(gatewayStatusSchema.parse(online.json)).toMatchObject({
      v: 1,
      state: 'online',
      ts: clock.t,
      devices: ['pump-1', 'dead-pump'],
      version: expect.any(String),
    });

    // Three telemetry batches from the live pump, each valid, seq +1 each time.
    const telemetryTopic = topics.telemetry(SITE, GW, 'pump-1');
    const batches: TelemetryBatch[] = [];
    for (let i = 0; i < 3; i++) {
      clock.t += 1000;
      const message = await watcher.waitFor(`telemetry batch ${i + 1}`, (m) => m.topic === telemetryTopic, {
        from: watcher.messages.findLastIndex((m) => m.topic === telemetryTopic) + 1,
      });
      batches.push(telemetryBatchSchema.parse(message.json));
    }
    for (const [i, batch] of batches.entries()) {
      if (i > 0) expect(batch.seq).toBe((batches[i - 1]?.seq ?? -2) + 1);
    }
    expect(batches[0]).toMatchObject({ v: 1, device: 'pump-1', device_type: 'pump' });
    expect(batches[0]?.readings).toEqual([
      { point: 'running', value: true, quality: 'good', ts: expect.any(Number) },
      { point: 'flow', value: 123.4, quality: 'good', unit: 'm3/h', ts: expect.any(Number) },
      {
        point: 'pressure',
        value: 123.456_001_281_738_28,
        quality: 'good',
        unit: 'bar',
        ts: expect.any(Number),
      },
    ]);
    // Timestamps come from the injected clock.
    for (const batch of batches) {
      expect(batch.ts).toBeGreaterThanOrEqual(1_800_000_000_000);
      for (const reading of batch.readings) expect(reading.ts).toBeLessThanOrEqual(batch.ts);
    }

    // Device statuses: the live pump online, the dead one offline with the reason; no telemetry
    // for the dead one, and it never held the live one back (the batches above kept coming).
    const pumpStatus = await watcher.waitFor(
      'pump-1 online',
      (m) => m.topic === topics.deviceStatus(SITE, GW, 'pump-1'),
    );
    expect(deviceStatusSchema.parse(pumpStatus.json)).toMatchObject({ device: 'pump-1', state: 'online' });
    const deadStatus = await watcher.waitFor(
      'dead-pump offline',
      (m) => m.topic === topics.deviceStatus(SITE, GW, 'dead-pump'),
    );
    expect(deviceStatusSchema.parse(deadStatus.json)).toMatchObject({
      device: 'dead-pump',
      device_type: 'pump',
      state: 'offline',
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(watcher.messages.some((m) => m.topic === topics.telemetry(SITE, GW, 'dead-pump'))).toBe(false);
    expect(gw.deviceStates()).toEqual({ 'pump-1': 'online', 'dead-pump': 'offline' });

    // A subscriber arriving later gets the retained statuses straight away.
    const late = await recorder(mqttBroker.url);
    const retained = await late.waitFor('retained online status', isStatus('online'));
    expect(retained.retain).toBe(true);
    const retainedDead = await late.waitFor('retained dead-pump status', (m) =>
      m.topic.endsWith('/device/dead-pump/status'),
    );
    expect(retainedDead.retain).toBe(true);

    // Kill the gateway's connection abruptly (no DISCONNECT): the broker publishes the Last Will.
    const output = gw.output;
    if (!(output instanceof MqttOutput)) throw new Error('expected the MQTT output');
    const mark = watcher.messages.length;
    output.client?.stream.destroy();
    const will = await watcher.waitFor('Last Will (offline)', isStatus('offline'), { from: mark });
    expect(gatewayStatusSchema.parse(will.json)).toMatchObject({ v: 1, state: 'offline' });
    // ...and the gateway comes back by itself and says so.
    const back = watcher.messages.length;
    await watcher.waitFor('online again after reconnecting', isStatus('online'), { from: back });
    await watcher.waitFor('telemetry after reconnecting', (m) => m.topic === telemetryTopic, { from: back });

    // A clean stop leaves a retained offline status.
    await gw.stop();
    const after = await recorder(mqttBroker.url);
    const final = await after.waitFor('retained offline status after stop', (m) => m.topic === STATUS);
    expect(final.retain).toBe(true);
    expect(gatewayStatusSchema.parse(final.json).state).toBe('offline');
  });

  it('starts while the broker is down, keeps polling, and delivers the queued telemetry once it is up', async () => {
    const plc = await modbus();
    const port = Number((await unusedEndpoint()).split(':')[1]);
    const url = `mqtt://127.0.0.1:${port}`;
    const gw = await gateway(url, [pumpDevice(plc.endpoint)]);
    // Polling goes on without a broker.
    const polledBefore = plc.requests.get(1) ?? 0;
    await waitUntil('the pump to be polled', () => (plc.requests.get(1) ?? 0) >= polledBefore + 3);
    expect(gw.deviceStates()['pump-1']).toBe('online');

    const late = await startTestBroker({ port });
    cleanups.push(() => late.close());
    // Recorded broker-side: the gateway may reconnect before any subscriber could.
    const received = late.published;
    await received.waitFor('online status', isStatus('online'), { timeoutMs: 15_000 });
    await received.waitFor('pump-1 status', (m) => m.topic.endsWith('/device/pump-1/status'));
    // The batches spooled while the broker was away are replayed in order, from seq 0, marked
    // historical; live batches may go out between them (the backlog never holds up live data).
    const batches = () =>
      received.messages
        .filter((m) => m.topic.endsWith('/pump-1/telemetry'))
        .map((m) => telemetryBatchSchema.parse(m.json));
    await waitUntil('seqs 0 to 4', () =>
      [0, 1, 2, 3, 4].every((seq) => batches().some((b) => b.seq === seq)),
    );
    const historical = batches().filter((b) => b.historical === true);
    expect(historical.length).toBeGreaterThan(0);
    expect(historical.map((b) => b.seq)).toEqual([...historical.map((b) => b.seq)].sort((a, b) => a - b));
    expect(historical[0]?.seq).toBe(0);
    await gw.stop();
    await received.waitFor('offline status on stop', isStatus('offline'));
  });
});

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
