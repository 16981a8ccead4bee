import {
  type DeviceStatus,
  deviceStatusSchema,
  type TelemetryBatch,
  telemetryBatchSchema,
  topics,
} from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { GW, SITE, until, useHarness } from './testing/harness.js';
import { startModbusTestServer } from './testing/modbus-test-server.js';
import { startTestBroker } from './testing/mqtt-test-broker.js';

/** One test per failure mode, each against real servers: the fault stays local and heals itself. */
const h = useHarness();

const pump = (id: string, endpoint: string, extra: Record<string, unknown> = {}) => ({
  id,
  protocol: 'modbus-tcp',
  endpoint,
  device_type: 'pump',
  poll_interval_ms: 100,
  timeout_ms: 200,
  max_backoff_ms: 800,
  points: [{ name: 'a', address: 0 }],
  ...extra,
});

function watch(messages: readonly { topic: string; json: unknown }[]) {
  return {
    batches: (id: string): TelemetryBatch[] =>
      messages
        .filter((m) => m.topic === topics.telemetry(SITE, GW, id))
        .map((m) => telemetryBatchSchema.parse(m.json)),
    statuses: (id: string): DeviceStatus[] =>
      messages
        .filter((m) => m.topic === topics.deviceStatus(SITE, GW, id))
        .map((m) => deviceStatusSchema.parse(m.json)),
  };
}

describe('faults stay local and recovery is automatic', () => {
  it('device gone: reported offline, the others go on, and it is polled again when it returns', async () => {
    const broker = await h.broker();
    const steady = await h.modbus({ 1: { holding: { 0: 1 } } });
    let flaky = await startModbusTestServer({ 1: { holding: { 0: 2 } } });
    h.defer(() => flaky.close());
    const gateway = await h.gateway(
      await h.config({
        mqtt: { url: broker.url },
        devices: [pump('steady', steady.endpoint), pump('flaky', flaky.endpoint)],
      }),
    );
    const seen = watch(broker.published.messages);
    await until(
      'both publishing',
      () => seen.batches('flaky').length > 2 && seen.batches('steady').length > 2,
    );
    await flaky.close();
    await until('flaky offline', () => seen.statuses('flaky').at(-1)?.state === 'offline');
    expect(seen.statuses('flaky').at(-1)).toMatchObject({
      health: 'offline',
      error: expect.stringMatching(/ECONNREFUSED|closed|timeout/),
    });
    const steadyBefore = seen.batches('steady').length;
    await until('steady goes on', () => seen.batches('steady').length >= steadyBefore + 10);
    expect(gateway.deviceHealth().steady).toBe('online');
    // Back on the same port: polled again (backoff capped at 800 ms here), values flow.
    flaky = await startModbusTestServer({ 1: { holding: { 0: 3 } } }, { port: flaky.port });
    await until('flaky back online', () => seen.statuses('flaky').at(-1)?.state === 'online', 10_000);
    await until('flaky values again', () => seen.batches('flaky').some((b) => b.readings[0]?.value === 3));
  });

  it('device slow: its timeouts do not slow a device on another connection to the same port', async () => {
    const broker = await h.broker();
    // Unit 2 answers after 400 ms, beyond its 200 ms timeout; unit 1 at once.
    const plc = await h.modbus(
      { 1: { holding: { 0: 1 } }, 2: { holding: { 0: 2 } } },
      { delayMs: { 2: 400 } },
    );
    const gateway = await h.gateway(
      await h.config({
        mqtt: { url: broker.url },
        devices: [pump('fast', plc.endpoint), pump('slow', plc.endpoint, { unit_id: 2 })],
      }),
    );
    const seen = watch(broker.published.messages);
    await until('slow offline', () => seen.statuses('slow').at(-1)?.state === 'offline');
    expect(seen.statuses('slow').at(-1)?.error).toMatch(/timeout/);
    const fastBefore = seen.batches('fast').length;
    const slowRequests = plc.requests.get(2) ?? 0;
    await until('fast publishing on', () => seen.batches('fast').length >= fastBefore + 20);
    // While "fast" made 20 polls, "slow" (backing off: at least 400 ms apart here) made a few.
    expect((plc.requests.get(2) ?? 0) - slowRequests).toBeLessThan(10);
    expect(gateway.deviceHealth()).toEqual({ fast: 'online', slow: 'offline' });
    expect(seen.batches('slow')).toEqual([]);
  });

  it('exception codes: a point the device refuses is bad with the code, the device is degraded, the rest is good', async () => {
    const broker = await h.broker();
    const plc = await h.modbus({ 1: { holding: { 0: 5 } } });
    const gateway = await h.gateway(
      await h.config({
        mqtt: { url: broker.url },
        devices: [
          pump('p', plc.endpoint, {
            points: [
              { name: 'a', address: 0 },
              { name: 'gone', address: 300 },
            ],
          }),
        ],
      }),
    );
    const seen = watch(broker.published.messages);
    await until('a batch', () => seen.batches('p').length > 0);
    expect(seen.batches('p')[0]?.readings).toEqual([
      { point: 'a', value: 5, quality: 'good', ts: expect.any(Number) },
      {
        point: 'gone',
        value: null,
        quality: 'bad',
        reason: 'Modbus exception 2 (illegal data address)',
        ts: expect.any(Number),
      },
    ]);
    await until('degraded status', () => seen.statuses('p').length > 0);
    expect(seen.statuses('p').at(-1)).toMatchObject({
      state: 'online',
      health: 'degraded',
      error: '1 of 2 points bad: Modbus exception 2 (illegal data address)',
    });
    expect(gateway.deviceHealth().p).toBe('degraded');
  });

  it('broker gone and back: batches wait in the spool and arrive without a gap, the outage part historical', async () => {
    let broker = await h.broker();
    const plc = await h.modbus({ 1: { holding: { 0: 5 } } });
    await h.gateway(await h.config({ mqtt: { url: broker.url }, devices: [pump('p', plc.endpoint)] }));
    const logs = [broker.published];
    const all = () => logs.flatMap((log) => watch(log.messages).batches('p'));
    await until('live batches', () => all().length > 3);
    const port = broker.port;
    await broker.close();
    const polled = plc.requests.get(1) ?? 0;
    await until('polls during the outage', () => (plc.requests.get(1) ?? 0) > polled + 10);
    broker = await startTestBroker({ port });
    h.defer(() => broker.close());
    logs.push(broker.published);
    await until(
      'historical batches and live ones again',
      () => {
        const batches = all();
        return (
          batches.some((b) => b.historical === true) &&
          batches.filter((b) => b.historical !== true).length > 8
        );
      },
      15_000,
    );
    await until('no gap', () => {
      const seqs = new Set(all().map((b) => b.seq));
      return seqs.size === Math.max(...seqs) + 1;
    });
  });
});
