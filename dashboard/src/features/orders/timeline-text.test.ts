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

  it('names who had the order before, why it was deferred and until when (the instant as stored)', () => {
    expect(
      eventFields({ detail: { previous_assignee: 'tom', assignee: 'lee', reason: 'tom is away' } }),
    ).toEqual([
      { field: 'reason', value: 'tom is away' },
      { field: 'assignee', value: 'lee' },
      { field: 'previous_assignee', value: 'tom' },
    ]);
    expect(
      eventFields({ detail: { paused_ms: 5000, until: 1_800_000_000_000, defer_reason: 'rain' } }),
    ).toEqual([
      { field: 'defer_reason', value: 'rain' },
      { field: 'until', value: '1800000000000' },
      { field: 'paused_ms', value: '5000' },
    ]);
  });

  it('lists arrays and leaves out objects and empty values', () => {
    expect(
      eventFields({
        detail: { assignees: ['tom', 'tim'], ranking: [{ a: 1 }], note: '', why: null, rule: { id: 'x' } },
      }),
    ).toEqual([{ field: 'assignees', value: 'tom, tim' }]);
  });
});
