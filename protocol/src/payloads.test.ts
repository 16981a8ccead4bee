import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  deviceStatusSchema,
  formatIssues,
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

  it('answers as the schema itself does (zod compiled fast path), errors included', () => {
    // Every field of a batch and of a reading replaced by values of every kind, or removed.
    const odd: unknown[] = [
      null,
      true,
      -1,
      1.5,
      2 ** 60,
      Number.MAX_SAFE_INTEGER,
      '',
      'a/b',
      'x'.repeat(65),
      [],
      {},
    ];
    const variants: unknown[] = [goodBatch, { ...goodBatch, historical: false }];
    const reading = goodBatch.readings[0] as Record<string, unknown>;
    for (const key of [...Object.keys(goodBatch), 'extra']) {
      const { [key]: _removed, ...without } = goodBatch as Record<string, unknown>;
      variants.push(without);
      for (const value of odd) variants.push({ ...goodBatch, [key]: value });
    }
    for (const key of [...Object.keys(reading), 'reason', 'extra']) {
      const { [key]: _removed, ...without } = reading;
      variants.push({ ...goodBatch, readings: [without] });
      for (const value of odd) variants.push({ ...goodBatch, readings: [{ ...reading, [key]: value }] });
    }
    let rejected = 0;
    for (const variant of variants) {
      const reference = telemetryBatchSchema.safeParse(variant);
      const result = parsePayload(telemetryBatchSchema, JSON.stringify(variant));
      expect(result.ok).toBe(reference.success);
      if (!result.ok) {
        rejected += 1;
        expect(result.error).toBe(formatIssues(reference.error as z.ZodError));
      } else {
        expect(result.value).toEqual(reference.data);
      }
    }
    expect(rejected).toBeGreaterThan(100);
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
