import type { WorkOrder } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import {
  apiQuery,
  DEFAULT_FILTERS,
  deskSla,
  filtersFromQuery,
  filtersToQuery,
  groupByStatus,
  sortOrders,
} from './desk-filters.js';

const NOW = Date.UTC(2026, 11, 6, 2, 0);
const HOUR = 3_600_000;

function order(id: number, patch: Partial<WorkOrder> = {}): WorkOrder {
  return {
    id,
    code: `WO-${id}`,
    incident_key: `s/manual/${id}`,
    status: 'in_repair',
    source: 'manual',
    kind: 'corrective',
    site: 's',
    building: null,
    location: null,
    device: null,
    rule_id: null,
    title: `order ${id}`,
    description: '',
    problem_type: 'general',
    priority: 3,
    severity: 'warning',
    alarm_id: null,
    previous_order_id: null,
    occurrences: 1,
    reopen_count: 0,
    first_time_fix: 1,
    requester: null,
    assignee: null,
    created_at: NOW - id * HOUR,
    updated_at: NOW,
    acknowledged_at: null,
    dispatched_at: NOW - HOUR,
    started_at: null,
    check_requested_at: null,
    completed_at: null,
    closed_at: null,
    cancelled_at: null,
    cancel_reason: null,
    response_due_at: null,
    completion_due_at: NOW + 10 * HOUR,
    response_limit_ms: 4 * HOUR,
    completion_limit_ms: 24 * HOUR,
    sla_paused_since: null,
    sla_paused_ms: 0,
    escalation_level: 0,
    defer_requested_at: null,
    defer_reason: null,
    deferred_until: null,
    plan_id: null,
    resolution: null,
    labour_minutes: 0,
    fault_category: null,
    rating: null,
    rating_comment: null,
    reject_count: 0,
    evidence: {},
    ...patch,
  };
}

describe('desk filters ⇄ URL query', () => {
  it('round-trips every filter through the query', () => {
    const filters = {
      view: 'board' as const,
      sort: 'newest' as const,
      site: 'tower-park',
      priority: 1,
      statuses: ['in_repair' as const, 'pending_acceptance' as const],
      assignee: 'me',
      overdue: true,
    };
    const query = filtersToQuery(filters);
    // Statuses are written in the lifecycle's order, so equal views have equal addresses.
    expect(query.toString()).toBe(
      'view=board&sort=newest&site=tower-park&priority=1&status=pending_acceptance%2Cin_repair&assignee=me&overdue=1',
    );
    expect(filtersFromQuery(query)).toEqual({ ...filters, statuses: ['pending_acceptance', 'in_repair'] });
  });

  it('leaves the defaults out: the plain desk is /orders', () => {
    expect(filtersToQuery(DEFAULT_FILTERS).toString()).toBe('');
    expect(filtersFromQuery(new URLSearchParams())).toEqual(DEFAULT_FILTERS);
  });

  it('ignores what it does not know instead of failing', () => {
    const parsed = filtersFromQuery(
      new URLSearchParams('view=grid&priority=9&status=in_repair,bogus&site=a%20b&assignee=&overdue=yes'),
    );
    expect(parsed).toEqual({ ...DEFAULT_FILTERS, statuses: ['in_repair'] });
  });

  it('asks the hub for "mine" as the signed-in user', () => {
    const filters = filtersFromQuery(
      new URLSearchParams('assignee=me&status=in_repair,awaiting_check&overdue=1'),
    );
    expect(apiQuery(filters, 'tom', 200)).toEqual({
      status: 'in_repair,awaiting_check',
      site: undefined,
      priority: undefined,
      assignee: 'tom',
      overdue: 'true',
      limit: 200,
    });
    expect(apiQuery({ ...DEFAULT_FILTERS, assignee: 'otto' }, 'tom', 50).assignee).toBe('otto');
  });
});

describe('SLA state of a row', () => {
  it('is overdue past a running limit, at risk in its last quarter, paused while deferred', () => {
    expect(deskSla(order(1, { completion_due_at: NOW - 1 }), NOW)).toBe('overdue');
    expect(deskSla(order(1, { completion_due_at: NOW + 5 * HOUR }), NOW)).toBe('at_risk');
    expect(deskSla(order(1, { completion_due_at: NOW + 7 * HOUR }), NOW)).toBe('on_track');
    expect(deskSla(order(1, { status: 'deferred', completion_due_at: NOW - HOUR }), NOW)).toBe('paused');
    expect(deskSla(order(1, { status: 'closed', completion_due_at: NOW - HOUR }), NOW)).toBe('done');
    expect(deskSla(order(1, { completion_due_at: null }), NOW)).toBe('none');
  });

  it('counts the response limit only until the order is dispatched', () => {
    const waiting = { status: 'to_dispatch' as const, dispatched_at: null, response_due_at: NOW - 1 };
    expect(deskSla(order(1, waiting), NOW)).toBe('overdue');
    expect(deskSla(order(1, { ...waiting, dispatched_at: NOW - 2 * HOUR }), NOW)).toBe('on_track');
  });
});

describe('order of the desk', () => {
  it('puts overdue, then at risk, then the most urgent priority and the nearest deadline first', () => {
    const list = [
      order(1, { priority: 4 }),
      order(2, { priority: 1, completion_due_at: NOW + 20 * HOUR }),
      order(3, { priority: 1, completion_due_at: NOW + 8 * HOUR }),
      order(4, { priority: 3, completion_due_at: NOW - HOUR }),
      order(5, { priority: 2, completion_due_at: NOW + HOUR }),
      order(6, { status: 'closed', priority: 1 }),
    ];
    expect(sortOrders(list, 'urgent', NOW).map((o) => o.id)).toEqual([4, 5, 3, 2, 1, 6]);
    expect(sortOrders(list, 'newest', NOW).map((o) => o.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('board columns', () => {
  it('groups by status in the lifecycle order, completed and closed together, cancelled left out', () => {
    const groups = groupByStatus([
      order(1, { status: 'closed' }),
      order(2, { status: 'pending_acceptance' }),
      order(3, { status: 'completed' }),
      order(4, { status: 'cancelled' }),
      order(5, { status: 'in_repair' }),
    ]);
    expect(Object.keys(groups)).toEqual([
      'pending_acceptance',
      'to_dispatch',
      'in_repair',
      'awaiting_check',
      'deferred',
      'done',
    ]);
    expect(groups.done.map((o) => o.id)).toEqual([1, 3]);
    expect(groups.pending_acceptance.map((o) => o.id)).toEqual([2]);
    expect(groups.in_repair.map((o) => o.id)).toEqual([5]);
    expect(Object.values(groups).flat().length).toBe(4);
  });
});
