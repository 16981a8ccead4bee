import type { OrderEvent } from '@caretaker/protocol';

/**
 * What the timeline says of an event besides its type: the fields of its detail a person needs
 * (why, what was done, to whom, which part), in a fixed order. Pure, tested without a browser.
 */
const SHOWN = [
  'reason',
  'defer_reason',
  'until',
  'paused_ms',
  'resolution',
  'fault_category',
  'labour_minutes',
  'assignee',
  'assignees',
  'previous_assignee',
  'rating',
  'comment',
  'note',
  'why',
  'part',
  'quantity',
  'store',
  'notified',
] as const;
export type ShownField = (typeof SHOWN)[number];

export function eventFields(event: Pick<OrderEvent, 'detail'>): Array<{ field: ShownField; value: string }> {
  const out: Array<{ field: ShownField; value: string }> = [];
  for (const field of SHOWN) {
    const value = event.detail[field];
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) out.push({ field, value: value.map(String).join(', ') });
    } else if (typeof value !== 'object') {
      out.push({
        field,
        value: field === 'quantity' && event.detail.unit ? `${value} ${event.detail.unit}` : String(value),
      });
    }
  }
  return out;
}
