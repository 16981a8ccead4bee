import type { InspectionItem } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { type Draft, meterVerdict, numberVerdict, parseEntry, resultsToSend } from './item-check.js';

const vibration = {
  key: 'vibration',
  label: 'Vibration',
  type: 'number',
  min: 0,
  max: 4.5,
  unit: 'mm/s',
} as const;
const hours = {
  key: 'hours',
  label: 'Hours',
  type: 'meter',
  unit: 'h',
  point: 'running_hours',
  tolerance: 2,
} as const;

describe('checking an entry against its item as it is typed', () => {
  it('reads numbers, empty as nothing and anything else as not a number', () => {
    expect(parseEntry(' 4.5 ')).toBe(4.5);
    expect(parseEntry('')).toBeNull();
    expect(parseEntry('-0.25')).toBe(-0.25);
    expect(parseEntry('4,5')).toBeNaN();
    expect(parseEntry('abc')).toBeNaN();
  });

  it('a number inside its limits passes, the limits themselves included', () => {
    expect(numberVerdict(vibration, 0)).toEqual({ kind: 'ok' });
    expect(numberVerdict(vibration, 4.5)).toEqual({ kind: 'ok' });
    expect(numberVerdict(vibration, 4.51)).toEqual({ kind: 'above', max: 4.5 });
    expect(numberVerdict(vibration, -0.1)).toEqual({ kind: 'below', min: 0 });
    expect(numberVerdict(vibration, null)).toEqual({ kind: 'empty' });
    expect(numberVerdict(vibration, Number.NaN)).toEqual({ kind: 'invalid' });
    // Only one limit given: the other side is open.
    expect(numberVerdict({ key: 'p', label: 'P', type: 'number', min: 3.5 }, 99)).toEqual({ kind: 'ok' });
    expect(numberVerdict({ key: 'p', label: 'P', type: 'number', max: 3.5 }, -99)).toEqual({ kind: 'ok' });
  });

  it('a meter reading is compared with the live counter within its tolerance', () => {
    expect(meterVerdict(hours, 13_141, 13_140)).toEqual({ kind: 'close', tolerance: 2 });
    expect(meterVerdict(hours, 13_142, 13_140)).toEqual({ kind: 'close', tolerance: 2 });
    expect(meterVerdict(hours, 13_150.3, 13_140.1)).toEqual({ kind: 'off', off: 10.2, tolerance: 2 });
    expect(meterVerdict(hours, 13_150, null)).toEqual({ kind: 'unchecked' });
    expect(meterVerdict({ key: 'c', label: 'C', type: 'meter' }, 5, 100)).toEqual({ kind: 'unchecked' });
    expect(meterVerdict(hours, -1, 13_140)).toEqual({ kind: 'negative' });
  });
});

describe('the results a submit sends', () => {
  const item = (id: number, fields: Partial<InspectionItem>): InspectionItem => ({
    id,
    inspection_id: 1,
    object_id: 1,
    object_name: 'Pump',
    device: 'pump-1',
    position: id,
    item_key: `k${id}`,
    label: `Item ${id}`,
    type: 'pass_fail',
    spec: { key: `k${id}`, label: `Item ${id}`, type: 'pass_fail' },
    status: 'pending',
    value: null,
    attachment_id: null,
    live_value: null,
    note: null,
    recorded_at: null,
    recorded_by: null,
    repair_order_id: null,
    repair_order_code: null,
    ...fields,
  });
  const items = [
    item(1, {}),
    item(2, { type: 'number', spec: vibration }),
    item(3, { type: 'meter', spec: hours }),
    item(4, { type: 'photo', spec: { key: 'photo', label: 'Photo', type: 'photo' } }),
    item(5, { status: 'fail', value: 0 }),
  ];

  it('only touched items, each with the field its type needs', () => {
    const drafts = new Map<number, Draft>([
      [1, { passed: false, note: '  seal weeps  ' }],
      [2, { text: '7.1' }],
      [3, { text: '' }],
      [4, { attachmentId: 9 }],
    ]);
    expect(resultsToSend(items, drafts)).toEqual({
      results: [
        { item_id: 1, passed: false, note: 'seal weeps' },
        { item_id: 2, value: 7.1 },
        { item_id: 4, attachment_id: 9 },
      ],
      invalid: [],
    });
  });

  it('a remark on an answered item keeps its answer; an invalid number is reported, not sent', () => {
    const drafts = new Map<number, Draft>([
      [5, { note: 'replaced the seal' }],
      [2, { text: '4,5' }],
    ]);
    expect(resultsToSend(items, drafts)).toEqual({
      results: [{ item_id: 5, passed: false, note: 'replaced the seal' }],
      invalid: [2],
    });
    expect(resultsToSend(items, new Map())).toEqual({ results: [], invalid: [] });
  });
});
