import { describe, expect, it } from 'vitest';
import {
  deviceStatusSchema,
  gatewayStatusSchema,
  MAX_PAYLOAD_BYTES,
  parsePayload,
  telemetryBatchSchema,
} from './payloads.js';

const goodBatch = {
  v: 1,
  device: 'pump-1',
  device_type: 'pump',
  seq: 7,
  ts: 1_700_000_000_500,
  readings: [
    { point: 'flow', value: 12.5, ts: 1_700_000_000_000, quality: 'good', unit: 'm3/h' },
    { point: 'running', value: true, ts: 1_700_000_000_000, quality: 'good' },
    { point: 'vibration', value: null, ts: 1_700_000_000_000, quality: 'bad', reason: 'timeout' },
  ],
};

describe('telemetry batch', () => {
  it('accepts a well-formed batch and keeps its values', () => {
    const result = parsePayload(telemetryBatchSchema, JSON.stringify(goodBatch));
    expect(result).toEqual({ ok: true, value: goodBatch });
  });

  it.each([
    [{ ...goodBatch, v: 2 }, 'v:'],
    [{ ...goodBatch, device: 'a/b' }, 'device:'],
    [{ ...goodBatch, device_type: 'toaster' }, 'device_type:'],
    [{ ...goodBatch, seq: -1 }, 'seq:'],
    [{ ...goodBatch, readings: [] }, 'readings:'],
    [{ ...goodBatch, readings: [{ ...goodBatch.readings[0], value: 'high' }] }, 'readings.0.value:'],
    [{ ...goodBatch, readings: [{ ...goodBatch.readings[0], quality: 'ok' }] }, 'readings.0.quality:'],
    [{ ...goodBatch, readings: [{ ...goodBatch.readings[0], value: null }] }, 'readings.0.value:'],
    [{ ...goodBatch, readings: [{ ...goodBatch.readings[0], ts: 1.5 }] }, 'readings.0.ts:'],
    [{ ...goodBatch, extra: 1 }, 'extra'],
  ])('rejects a bad batch and names the field (%#)', (bad, field) => {
    const result = parsePayload(telemetryBatchSchema, JSON.stringify(bad));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(field);
  });

  it('accepts the optional historical flag of a replayed batch, and only a boolean', () => {
    expect(parsePayload(telemetryBatchSchema, JSON.stringify({ ...goodBatch, historical: true }))).toEqual({
      ok: true,
      value: { ...goodBatch, historical: true },
    });
    const bad = parsePayload(telemetryBatchSchema, JSON.stringify({ ...goodBatch, historical: 'yes' }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('historical:');
  });

  it('rejects malformed JSON without throwing', () => {
    const result = parsePayload(telemetryBatchSchema, Buffer.from('{"v":1,'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/malformed JSON/);
  });

  it('rejects an oversized payload before parsing it', () => {
    const result = parsePayload(telemetryBatchSchema, 'x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/exceeds/);
  });
});

describe('status payloads', () => {
  it('accepts gateway and device statuses', () => {
    expect(parsePayload(gatewayStatusSchema, '{"v":1,"state":"offline","ts":1}').ok).toBe(true);
    expect(
      parsePayload(
        deviceStatusSchema,
        JSON.stringify({
          v: 1,
          device: 'm',
          device_type: 'power_meter',
          state: 'offline',
          ts: 5,
          error: 'timeout',
        }),
      ).ok,
    ).toBe(true);
  });

  it('accepts a degraded device with its reason and text attributes', () => {
    const status = {
      v: 1,
      device: 'pump-1',
      device_type: 'pump',
      state: 'online',
      health: 'degraded',
      ts: 5,
      error: '2 of 9 points bad: Modbus exception 2 (illegal data address)',
      attributes: { serial_number: 'SN-0042', firmware: '1.4.2' },
    };
    expect(parsePayload(deviceStatusSchema, JSON.stringify(status))).toEqual({ ok: true, value: status });
    const badHealth = parsePayload(deviceStatusSchema, JSON.stringify({ ...status, health: 'sick' }));
    expect(badHealth.ok).toBe(false);
    const badKey = parsePayload(
      deviceStatusSchema,
      JSON.stringify({ ...status, attributes: { 'a/b': 'x' } }),
    );
    expect(badKey.ok).toBe(false);
  });

  it('rejects an unknown state', () => {
    const result = parsePayload(gatewayStatusSchema, '{"v":1,"state":"sleeping","ts":1}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('state:');
  });
});
