import { describe, expect, it } from 'vitest';
import { eventFields } from './timeline-text.js';

describe('timeline text', () => {
  it('shows the fields a person needs in a fixed order, units with quantities', () => {
    expect(
      eventFields({
        detail: { quantity: 2, unit: 'pcs', part: 'BRG-6205', store: 'A-MAIN', movement_id: 7 },
      }),
    ).toEqual([
      { field: 'part', value: 'BRG-6205' },
      { field: 'quantity', value: '2 pcs' },
      { field: 'store', value: 'A-MAIN' },
    ]);
    expect(
      eventFields({
        detail: { fault_category: 'natural_wear', resolution: 'replaced the bearing', labour_minutes: 45 },
      }).map((f) => f.field),
    ).toEqual(['resolution', 'fault_category', 'labour_minutes']);
  });

  it('lists arrays and leaves out objects and empty values', () => {
    expect(
      eventFields({
        detail: { assignees: ['tom', 'tim'], ranking: [{ a: 1 }], note: '', why: null, rule: { id: 'x' } },
      }),
    ).toEqual([{ field: 'assignees', value: 'tom, tim' }]);
  });
});
