import { telemetryBatchSchema, topics } from '@caretaker/protocol';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker } from '../testing/mqtt-test-broker.js';
import { testLogger } from '../testing/test-logger.js';
import { MqttOutput } from './mqtt.output.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups = [];
});

function output(url: string, maxQueued = 100): MqttOutput {
  const out = new MqttOutput({
    site: 's',
    gateway: 'g',
    mqtt: { url, client_id: 'test-gateway', keepalive_s: 5, max_queued_messages: maxQueued },
    devices: ['d'],
    version: '9.9.9',
    now: () => 1234,
    logger: testLogger('test:mqtt'),
  });
  cleanups.push(() => out.stop());
  return out;
}

const reading = (value: number) => ({ point: 'p', value, ts: 1000, quality: 'good' as const });

describe('MqttOutput', () => {
  it('keeps only the newest batches while the broker is away, then sends them in order', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const out = output(`mqtt://127.0.0.1:${port}`, 3);
    await out.start(); // returns although nobody listens
    for (let i = 0; i < 10; i++)
      out.writeTelemetry({ device: 'd', device_type: 'pump', readings: [reading(i)] });
    expect(out.stats).toMatchObject({ queued: 3, dropped: 7, seq: 10 });

    const broker = await startTestBroker({ port });
    cleanups.push(() => broker.close());
    const telemetry = topics.telemetry('s', 'g', 'd');
    await broker.published.waitFor(
      'the last queued batch',
      (m) => m.topic === telemetry && (m.json as { seq: number }).seq === 9,
      {
        timeoutMs: 15_000,
      },
    );
    const sent = broker.published.messages
      .filter((m) => m.topic === telemetry)
      .map((m) => telemetryBatchSchema.parse(m.json));
    expect(sent.map((batch) => batch.seq)).toEqual([7, 8, 9]);
    expect(sent.map((batch) => batch.readings[0]?.value)).toEqual([7, 8, 9]);
    // The online status goes out before the backlog.
    const statusIndex = broker.published.messages.findIndex(
      (m) => m.topic === topics.gatewayStatus('s', 'g'),
    );
    const firstTelemetry = broker.published.messages.findIndex((m) => m.topic === telemetry);
    expect(statusIndex).toBeGreaterThanOrEqual(0);
    expect(statusIndex).toBeLessThan(firstTelemetry);
    expect(broker.published.messages[statusIndex]?.json).toEqual({
      v: 1,
      state: 'online',
      ts: 1234,
      version: '9.9.9',
      devices: ['d'],
    });
  });

  it('never publishes a batch the hub would reject, and does not spend a seq on it', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const out = output(broker.url);
    await out.start();
    out.writeTelemetry({
      device: 'd',
      device_type: 'pump',
      readings: [{ point: 'bad/point', value: 1, ts: 1, quality: 'good' }],
    });
    out.writeTelemetry({ device: 'd', device_type: 'pump', readings: [] });
    out.writeTelemetry({ device: 'd', device_type: 'pump', readings: [reading(1)] });
    const message = await broker.published.waitFor('the valid batch', (m) => m.topic.endsWith('/telemetry'));
    expect(telemetryBatchSchema.parse(message.json).seq).toBe(0);
    expect(out.stats).toMatchObject({ invalid: 2, seq: 1 });
    expect(broker.published.messages.filter((m) => m.topic.endsWith('/telemetry'))).toHaveLength(1);
  });

  it('publishes device status retained, and the latest one again after a reconnect', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const out = output(broker.url);
    await out.start();
    out.writeDeviceStatus({ device: 'd', device_type: 'pump', state: 'online', ts: 10 });
    out.writeDeviceStatus({ device: 'd', device_type: 'pump', state: 'offline', ts: 20, error: 'timeout' });
    const status = topics.deviceStatus('s', 'g', 'd');
    await broker.published.waitFor(
      'offline status',
      (m) => m.topic === status && (m.json as { state: string }).state === 'offline',
    );
    expect(broker.published.messages.filter((m) => m.topic === status).map((m) => m.retain)).toEqual([
      true,
      true,
    ]);

    const mark = broker.published.messages.length;
    out.client?.stream.destroy();
    const again = await broker.published.waitFor(
      'status republished after reconnect',
      (m) => m.topic === status,
      {
        from: mark,
        timeoutMs: 15_000,
      },
    );
    expect(again.json).toEqual({
      v: 1,
      device: 'd',
      device_type: 'pump',
      state: 'offline',
      ts: 20,
      error: 'timeout',
    });
  });
});
