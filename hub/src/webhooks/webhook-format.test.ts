import { describe, expect, it } from 'vitest';
import { matchesFilter, orderEventNames } from './webhook-format.js';

describe('webhook event names', () => {
  // [recorded type, from, to, names it answers to (the first is the payload's event)]
  const cases: Array<[string, string | null, string | null, string[]]> = [
    ['created', null, 'pending_acceptance', ['created']],
    ['accept', 'pending_acceptance', 'to_dispatch', ['accepted', 'accept']],
    ['dispatch', 'to_dispatch', 'in_repair', ['dispatched', 'dispatch']],
    ['grab', 'to_dispatch', 'in_repair', ['dispatched', 'grab']],
    ['submit_for_check', 'in_repair', 'awaiting_check', ['submitted', 'submit_for_check']],
    ['reject', 'awaiting_check', 'in_repair', ['rejected', 'reject']],
    ['pass_check', 'awaiting_check', 'completed', ['completed', 'pass_check']],
    ['close', 'completed', 'closed', ['closed', 'close']],
    ['cancel', 'to_dispatch', 'cancelled', ['cancelled', 'cancel']],
    ['approve_defer', 'in_repair', 'deferred', ['deferred', 'approve_defer']],
    ['resume', 'deferred', 'to_dispatch', ['resumed', 'resume']],
    ['reopened', 'completed', 'pending_acceptance', ['reopened']],
    ['status', 'in_repair', 'completed', ['completed', 'status']],
    ['sla_escalated', null, null, ['escalated', 'sla_escalated']],
    ['sla_warning', null, null, ['sla_warning']],
    ['reassign', 'in_repair', 'in_repair', ['reassigned', 'reassign']],
    ['request_assistance', 'in_repair', 'in_repair', ['assistance_requested', 'request_assistance']],
    ['parts_issued', null, null, ['parts_issued']],
  ];
  it.each(cases)('%s %s -> %s', (type, from, to, names) => {
    expect(orderEventNames({ type, from, to })).toEqual(names);
  });

  it('matches a filter by any of the names, or everything with *', () => {
    const names = orderEventNames({ type: 'pass_check', from: 'awaiting_check', to: 'completed' });
    expect(matchesFilter(['completed'], names)).toBe(true);
    expect(matchesFilter(['pass_check'], names)).toBe(true);
    expect(matchesFilter(['created', 'closed'], names)).toBe(false);
    expect(matchesFilter(['*'], names)).toBe(true);
  });
});
