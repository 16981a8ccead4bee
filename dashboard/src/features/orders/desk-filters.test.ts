import type { WorkOrder } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import {
  apiQuery,
  changeFilters,
  columnListQuery,
  DEFAULT_FILTERS,
  deskSla,
  filtersFromQuery,
  filtersToQuery,
  listQuery,
  PAGE_SIZE,
  pageRange,
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
      page: 1,
    };
    const query = filtersToQuery(filters);
    // Statuses are written in the lifecycle's order, so equal views have equal addresses.
    expect(query.toString()).toBe(
      'view=board&sort=newest&site=tower-park&priority=1&status=pending_acceptance%2Cin_repair&assignee=me&overdue=1',
    );
    expect(filtersFromQuery(query)).toEqual({ ...filters, statuses: ['pending_acceptance', 'in_repair'] });
    const paged = { ...DEFAULT_FILTERS, sort: 'updated' as const, page: 7 };
    expect(filtersToQuery(paged).toString()).toBe('sort=updated&page=7');
    expect(filtersFromQuery(filtersToQuery(paged))).toEqual(paged);
  });

  it('leaves the defaults out: the plain desk is /orders', () => {
    expect(filtersToQuery(DEFAULT_FILTERS).toString()).toBe('');
    expect(filtersFromQuery(new URLSearchParams())).toEqual(DEFAULT_FILTERS);
  });

  it('ignores what it does not know instead of failing', () => {
    const parsed = filtersFromQuery(
      new URLSearchParams(
        'view=grid&priority=9&status=in_repair,bogus&site=a%20b&assignee=&overdue=yes&sort=x',
      ),
    );
    expect(parsed).toEqual({ ...DEFAULT_FILTERS, statuses: ['in_repair'] });
    for (const page of ['0', '-2', '1.5', 'two', '1e9', '']) {
      expect(filtersFromQuery(new URLSearchParams({ page })).page, page).toBe(1);
    }
  });

  it('starts the list again at page 1 when anything but the page changes; the board has no page', () => {
    const on7 = { ...DEFAULT_FILTERS, page: 7 };
    expect(changeFilters(on7, { priority: 2 })).toEqual({ ...on7, priority: 2, page: 1 });
    expect(changeFilters(on7, { page: 8 }).page).toBe(8);
    expect(filtersToQuery({ ...on7, view: 'board' }).toString()).toBe('view=board');
  });

  it('asks the hub for a page: 50 at a time, at the instant the first page was judged at', () => {
    const query = listQuery({ ...DEFAULT_FILTERS, page: 3 }, 'tom', 1234);
    expect(query).toMatchObject({ limit: PAGE_SIZE, offset: 2 * PAGE_SIZE, as_of: 1234, sort: 'urgent' });
    expect(listQuery(DEFAULT_FILTERS, 'tom')).toMatchObject({ offset: 0, as_of: undefined });
  });

  it('says which orders a page shows, and when a page is past the end', () => {
    expect(pageRange(2, 50, 1234)).toEqual({ from: 51, to: 100, pages: 25, pastEnd: false });
    expect(pageRange(25, 34, 1234)).toEqual({ from: 1201, to: 1234, pages: 25, pastEnd: false });
    expect(pageRange(1, 0, 0)).toEqual({ from: 0, to: 0, pages: 1, pastEnd: false });
    expect(pageRange(9, 0, 120)).toEqual({ from: 0, to: 0, pages: 3, pastEnd: true });
  });

  it("opens a board column as the list of its statuses, the other filters kept, in the column's order", () => {
    const filters = { ...DEFAULT_FILTERS, view: 'board' as const, site: 'tower-park', priority: 2 };
    expect(columnListQuery(filters, { statuses: ['completed', 'closed'], sort: 'updated' }).toString()).toBe(
      'sort=updated&site=tower-park&priority=2&status=completed%2Cclosed',
    );
    expect(columnListQuery(filters, { statuses: ['in_repair'], sort: 'urgent' }).toString()).toBe(
      'site=tower-park&priority=2&status=in_repair',
    );
  });

  it('asks the hub for "mine" as the signed-in user', () => {
    const filters = filtersFromQuery(
      new URLSearchParams('assignee=me&status=in_repair,awaiting_check&overdue=1'),
    );
    expect(apiQuery(filters, 'tom')).toEqual({
      status: 'in_repair,awaiting_check',
      site: undefined,
      priority: undefined,
      assignee: 'tom',
      overdue: 'true',
      sort: 'urgent',
    });
    expect(apiQuery({ ...DEFAULT_FILTERS, assignee: 'otto' }, 'tom').assignee).toBe('otto');
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
