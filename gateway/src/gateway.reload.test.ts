import { telemetryBatchSchema, topics } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/config-error.js';
import { MqttOutput } from './outputs/mqtt.output.js';
import { GW, SITE, until, useHarness } from './testing/harness.js';

const h = useHarness();

const device = (id: string, endpoint: string, extra: Record<string, unknown> = {}) => ({
  id,
  protocol: 'modbus-tcp',
  endpoint,
  device_type: 'pump',
  poll_interval_ms: 100,
  points: [{ name: 'a', address: 0 }],
  ...extra,
});

describe('Gateway.reload', () => {
  it('restarts only changed devices, starts added ones, stops removed ones, and leaves the spool alone', async () => {
    const broker = await h.broker();
    const plc = await h.modbus({
      1: { holding: { 0: 11 } },
      2: { holding: { 0: 22 } },
      3: { holding: { 0: 33 } },
    });
    const base = { mqtt: { url: broker.url }, metrics: { stats_interval_s: 0 } };
    const gateway = await h.gateway(
      await h.config({
        ...base,
        devices: [
          device('keep', plc.endpoint),
          device('change', plc.endpoint, { unit_id: 2 }),
          device('drop', plc.endpoint, { unit_id: 3 }),
        ],
      }),
    );
    const telemetry = (id: string) =>
      broker.published.messages.filter((m) => m.topic === topics.telemetry(SITE, GW, id));
    await until('all three publishing', () =>
      ['keep', 'change', 'drop'].every((id) => telemetry(id).length > 0),
    );
    const keptRunner = gateway.runner('keep');
    const changedRunner = gateway.runner('change');
    const output = gateway.output;
    if (!(output instanceof MqttOutput)) throw new Error('expected the MQTT output');
    const seqBefore = output.stats.seq;

    const nextDevices = [
      device('keep', plc.endpoint),
      device('change', plc.endpoint, { unit_id: 2, poll_interval_ms: 200 }),
      device('new', plc.endpoint, { unit_id: 3 }),
    ];
    const result = await gateway.reload(await h.config({ ...base, devices: nextDevices }));
    expect(result).toEqual({
      added: ['new'],
      removed: ['drop'],
      restarted: ['change'],
      unchanged: ['keep'],
      needsRestart: [],
    });
    expect(gateway.runner('keep')).toBe(keptRunner);
    expect(gateway.runner('change')).not.toBe(changedRunner);
    expect(gateway.runner('drop')).toBeUndefined();
    expect(gateway.output).toBe(output);
    await until('the new device publishing', () => telemetry('new').length > 0);
    // The removed device's retained status is cleared (an empty retained message).
    await broker.published.waitFor(
      'status cleared',
      (m) => m.topic === topics.deviceStatus(SITE, GW, 'drop') && m.payload === '',
    );
    // Same spool, numbering goes on.
    const after = telemetry('new').map((m) => telemetryBatchSchema.parse(m.json).seq);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(seqBefore);
    expect(Object.keys(gateway.deviceStates())).toEqual(['keep', 'change', 'new']);
    // The retained online status announces the new device list.
    await broker.published.waitFor('online status with the new devices', (m) => {
      const status = m.json as { state?: string; devices?: string[] } | undefined;
      return m.topic === topics.gatewayStatus(SITE, GW) && status?.devices?.join() === 'keep,change,new';
    });

    // Settings that need a restart are reported, not applied.
    const moved = await gateway.reload(
      await h.config({ ...base, spool: { replay_rate: 5 }, devices: nextDevices }),
    );
    expect(moved).toMatchObject({ needsRestart: ['spool'], restarted: [], added: [], removed: [] });
  });

  it('refuses a configuration whose devices fail their checks, and changes nothing', async () => {
    const broker = await h.broker();
    const plc = await h.modbus({ 1: { holding: { 0: 11 } } });
    const base = { mqtt: { url: broker.url }, metrics: { stats_interval_s: 0 } };
    const gateway = await h.gateway(await h.config({ ...base, devices: [device('keep', plc.endpoint)] }));
    const runner = gateway.runner('keep');
    const bad = await h.config({
      ...base,
      devices: [
        device('keep', plc.endpoint, { poll_interval_ms: 500 }),
        device('broken', plc.endpoint, {
          points: [{ name: 'c', table: 'coil', address: 0, type: 'float32' }],
        }),
      ],
    });
    const error = await gateway.reload(bad).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['devices.1.points.0']);
    expect(gateway.runner('keep')).toBe(runner);
    expect(gateway.runner('broken')).toBeUndefined();
    expect(gateway.config.devices[0]?.poll_interval_ms).toBe(100);
  });
});
