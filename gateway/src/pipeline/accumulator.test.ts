import { readingSchema } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { ReadingAccumulator } from './accumulator.js';

describe('ReadingAccumulator', () => {
  it('records values and failures in the wire format', () => {
    const acc = new ReadingAccumulator(() => 1000);
    acc.addValue({ name: 'flow', unit: 'm3/h' }, 12.5, 900);
    acc.addValue({ name: 'load' }, 3, 950, 'uncertain');
    acc.addBad({ name: 'temp', unit: 'degC' }, 'Modbus exception 2 (illegal data address)', 990);
    expect(acc.readings).toEqual([
      { point: 'flow', value: 12.5, ts: 900, quality: 'good', unit: 'm3/h' },
      { point: 'load', value: 3, ts: 950, quality: 'uncertain' },
      {
        point: 'temp',
        value: null,
        ts: 990,
        quality: 'bad',
        unit: 'degC',
        reason: 'Modbus exception 2 (illegal data address)',
      },
    ]);
    for (const reading of acc.readings) expect(readingSchema.safeParse(reading).success).toBe(true);
    // The wire payload's key order, and no other keys (what the payload's bytes depend on).
    expect(acc.readings.map((r) => JSON.stringify(r))).toEqual([
      '{"point":"flow","ts":900,"unit":"m3/h","value":12.5,"quality":"good"}',
      '{"point":"load","ts":950,"value":3,"quality":"uncertain"}',
      '{"point":"temp","ts":990,"unit":"degC","value":null,"quality":"bad","reason":"Modbus exception 2 (illegal data address)"}',
    ]);
  });

  it('turns what JSON cannot carry into bad readings instead of a broken batch', () => {
    const acc = new ReadingAccumulator(() => 1000);
    acc.addValue({ name: 'nan' }, Number.NaN, 900);
    acc.addValue({ name: 'inf' }, Number.POSITIVE_INFINITY, 900);
    acc.addValue({ name: 'old_clock' }, 1, -5_000);
    acc.addBad({ name: 'chatty' }, 'x'.repeat(500), 900);
    expect(acc.readings.map((r) => [r.point, r.quality, r.ts])).toEqual([
      ['nan', 'bad', 900],
      ['inf', 'bad', 900],
      ['old_clock', 'good', 1000],
      ['chatty', 'bad', 900],
    ]);
    for (const reading of acc.readings) expect(readingSchema.safeParse(reading).success).toBe(true);
  });
});
