import { describe, expect, it } from 'vitest';
import {
  fromChecklist,
  type ItemDraft,
  keyOf,
  matchField,
  moveItem,
  newItem,
  toChecklist,
} from './checklist-form.js';

describe('checklist editor ↔ the hub checklist', () => {
  it('new items get keys from their labels, unique in the list; stored keys stay', () => {
    const stored = fromChecklist([{ key: 'pressure', label: 'Old label', type: 'pass_fail' }]);
    const items = [
      { ...(stored[0] as ItemDraft), label: 'Discharge pressure' },
      { ...newItem('number'), label: 'Pressure', min: '2', max: '6.5', unit: 'bar' },
      { ...newItem('photo'), label: '泵房照片' },
      { ...newItem('meter'), label: 'Running hours', point: 'running_hours', tolerance: '5', unit: 'h' },
      { ...newItem('pass_fail'), label: 'Pressure!' },
    ];
    expect(toChecklist(items)).toEqual([
      { key: 'pressure', label: 'Discharge pressure', type: 'pass_fail' },
      { key: 'pressure-2', label: 'Pressure', type: 'number', min: 2, max: 6.5, unit: 'bar' },
      { key: 'item', label: '泵房照片', type: 'photo' },
      {
        key: 'running-hours',
        label: 'Running hours',
        type: 'meter',
        unit: 'h',
        point: 'running_hours',
        tolerance: 5,
      },
      { key: 'pressure-3', label: 'Pressure!', type: 'pass_fail' },
    ]);
  });

  it('fields of another type are not sent; empty limits are left out', () => {
    const item = { ...newItem('pass_fail'), label: 'Valve', min: '1', unit: 'bar' };
    expect(toChecklist([item])).toEqual([{ key: 'valve', label: 'Valve', type: 'pass_fail' }]);
    expect(toChecklist([{ ...newItem('number'), label: 'T', max: '40' }])).toEqual([
      { key: 't', label: 'T', type: 'number', max: 40 },
    ]);
  });

  it('a stored checklist comes back unchanged', () => {
    const checklist = [
      { key: 'a', label: 'A', type: 'number' as const, min: -5, unit: '°C' },
      { key: 'b', label: 'B', type: 'meter' as const, point: 'door_cycles' },
      { key: 'c', label: 'C', type: 'photo' as const },
    ];
    expect(toChecklist(fromChecklist(checklist))).toEqual(checklist);
  });

  it('keys are lower-case ASCII', () => {
    expect(keyOf('  Motor Temp. (°C) ')).toBe('motor-temp-c');
    expect(keyOf('温度')).toBe('item');
  });

  it('moves an item up or down and never out of the list', () => {
    expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });

  it("finds the control the hub's message names", () => {
    const fields = ['name', 'schedule.interval', 'items.1', 'items.1.max', 'assign_to'];
    expect(matchField('schedule.interval: Too small', fields)).toBe('schedule.interval');
    expect(matchField('items.1.max: must not be below min', fields)).toBe('items.1.max');
    expect(matchField('items.1.label: Too small', fields)).toBe('items.1');
    expect(matchField('assign_to: must be { technician }', fields)).toBe('assign_to');
    expect(matchField('schedule: the rule has no occurrence', fields)).toBeNull();
    expect(matchField(null, fields)).toBeNull();
    expect(matchField('no colon here', fields)).toBeNull();
  });
});
