import {
  CLOSED_ORDER_STATUSES,
  ORDER_PRIORITIES,
  ORDER_STATUSES,
  type WorkOrder,
  type WorkOrderStatus,
} from '@caretaker/protocol';
import type { Query } from '../../api/client.js';

/**
 * The desk's filters as the page's URL query, so a filtered view can be bookmarked and shared:
 * `?view=board&site=tower-park&priority=1&status=in_repair,awaiting_check&assignee=me&overdue=1`.
 * Pure: read, written and turned into the hub's query here, tested without a browser.
 */
export type DeskView = 'list' | 'board';
export type DeskSort = 'urgent' | 'newest';

export interface DeskFilters {
  view: DeskView;
  sort: DeskSort;
  site?: string;
  priority?: number;
  statuses: WorkOrderStatus[];
  /** A user name, or `me` (whoever is signed in: the bookmark works for everyone). */
  assignee?: string;
  overdue: boolean;
}

export const DEFAULT_FILTERS: DeskFilters = { view: 'list', sort: 'urgent', statuses: [], overdue: false };

const ID = /^[\w.@-]{1,64}$/;

/** Whatever is in the address bar: unknown or malformed values are ignored, never an error. */
export function filtersFromQuery(params: URLSearchParams): DeskFilters {
  const filters: DeskFilters = { ...DEFAULT_FILTERS, statuses: [] };
  if (params.get('view') === 'board') filters.view = 'board';
  if (params.get('sort') === 'newest') filters.sort = 'newest';
  const site = params.get('site');
  if (site && ID.test(site)) filters.site = site;
  const priority = Number(params.get('priority'));
  if ((ORDER_PRIORITIES as readonly number[]).includes(priority)) filters.priority = priority;
  const statuses = (params.get('status') ?? '').split(',');
  filters.statuses = ORDER_STATUSES.filter((s) => statuses.includes(s));
  const assignee = params.get('assignee');
  if (assignee && ID.test(assignee)) filters.assignee = assignee;
  filters.overdue = params.get('overdue') === '1' || params.get('overdue') === 'true';
  return filters;
}

/** The query that shows these filters; defaults are left out, so the plain desk is `/orders`. */
export function filtersToQuery(filters: DeskFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.view !== 'list') params.set('view', filters.view);
  if (filters.sort !== 'urgent') params.set('sort', filters.sort);
  if (filters.site) params.set('site', filters.site);
  if (filters.priority !== undefined) params.set('priority', String(filters.priority));
  if (filters.statuses.length > 0) {
    params.set('status', ORDER_STATUSES.filter((s) => filters.statuses.includes(s)).join(','));
  }
  if (filters.assignee) params.set('assignee', filters.assignee);
  if (filters.overdue) params.set('overdue', '1');
  return params;
}

/** GET /api/work-orders's query for these filters (`me` becomes the signed-in user). */
export function apiQuery(filters: DeskFilters, username: string, limit: number): Query {
  const assignee = filters.assignee === 'me' ? username : filters.assignee;
  return {
    status: filters.statuses.length > 0 ? filters.statuses.join(',') : undefined,
    site: filters.site,
    priority: filters.priority,
    assignee,
    overdue: filters.overdue ? 'true' : undefined,
    limit,
  };
}

/**
 * Where an order stands against its limits, from the list's row alone (the order page asks the
 * hub for the exact state): `overdue` past a running limit, `at_risk` in the last quarter of
 * one, `paused` while deferred, `on_track` otherwise, `done` once completed, closed or cancelled.
 */
export type DeskSla = 'overdue' | 'at_risk' | 'paused' | 'on_track' | 'done' | 'none';

export function deskSla(order: WorkOrder, now: number): DeskSla {
  if (CLOSED_ORDER_STATUSES.includes(order.status)) return 'done';
  if (order.status === 'deferred' || order.sla_paused_since !== null) return 'paused';
  const running: Array<{ due: number; limit: number | null | undefined }> = [];
  if (order.completion_due_at !== null) {
    running.push({ due: order.completion_due_at, limit: order.completion_limit_ms });
  }
  if (order.response_due_at !== null && order.dispatched_at === null) {
    running.push({ due: order.response_due_at, limit: order.response_limit_ms });
  }
  if (running.length === 0) return 'none';
  if (running.some((r) => r.due <= now)) return 'overdue';
  if (running.some((r) => r.limit && r.due - now <= r.limit / 4)) return 'at_risk';
  return 'on_track';
}

const SLA_RANK: Record<DeskSla, number> = {
  overdue: 0,
  at_risk: 1,
  on_track: 2,
  paused: 3,
  none: 4,
  done: 5,
};

/** The next deadline still running, for "due in …" (null: none). */
export function nextDue(order: WorkOrder): number | null {
  if (CLOSED_ORDER_STATUSES.includes(order.status)) return null;
  const dues = [order.completion_due_at, order.dispatched_at === null ? order.response_due_at : null];
  const running = dues.filter((d): d is number => d !== null);
  return running.length > 0 ? Math.min(...running) : null;
}

/**
 * Most urgent first: open before done, then overdue and at risk, then priority (1 first), then
 * the nearest deadline, then the newest. `newest`: by creation, newest first.
 */
export function sortOrders(orders: readonly WorkOrder[], sort: DeskSort, now: number): WorkOrder[] {
  const list = [...orders];
  if (sort === 'newest') return list.sort((a, b) => b.created_at - a.created_at || b.id - a.id);
  const keyed = list.map((order) => ({ order, sla: SLA_RANK[deskSla(order, now)], due: nextDue(order) }));
  keyed.sort(
    (a, b) =>
      a.sla - b.sla ||
      a.order.priority - b.order.priority ||
      (a.due ?? Number.POSITIVE_INFINITY) - (b.due ?? Number.POSITIVE_INFINITY) ||
      b.order.created_at - a.order.created_at ||
      b.order.id - a.order.id,
  );
  return keyed.map((k) => k.order);
}

/** The board's columns, in the lifecycle's order; completed and closed share the last one. */
export const BOARD_COLUMNS = [
  { key: 'pending_acceptance', statuses: ['pending_acceptance'] },
  { key: 'to_dispatch', statuses: ['to_dispatch'] },
  { key: 'in_repair', statuses: ['in_repair'] },
  { key: 'awaiting_check', statuses: ['awaiting_check'] },
  { key: 'deferred', statuses: ['deferred'] },
  { key: 'done', statuses: ['completed', 'closed'] },
] as const satisfies ReadonlyArray<{ key: string; statuses: readonly WorkOrderStatus[] }>;
export type BoardColumnKey = (typeof BOARD_COLUMNS)[number]['key'];

/** Orders by board column, each keeping the order it was given; cancelled ones have no column. */
export function groupByStatus(orders: readonly WorkOrder[]): Record<BoardColumnKey, WorkOrder[]> {
  const groups = Object.fromEntries(BOARD_COLUMNS.map((c) => [c.key, [] as WorkOrder[]])) as Record<
    BoardColumnKey,
    WorkOrder[]
  >;
  for (const order of orders) {
    const column = BOARD_COLUMNS.find((c) => (c.statuses as readonly string[]).includes(order.status));
    if (column) groups[column.key].push(order);
  }
  return groups;
}
