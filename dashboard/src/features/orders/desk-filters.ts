import {
  CLOSED_ORDER_STATUSES,
  ORDER_PRIORITIES,
  ORDER_STATUSES,
  type OrderBoardColumn,
  type OrderListSort,
  type WorkOrder,
  type WorkOrderStatus,
} from '@caretaker/protocol';
import type { Query } from '../../api/client.js';

/**
 * The desk's filters and page as the page's URL query, so a filtered view can be bookmarked and
 * shared: `?view=board&site=tower-park&priority=1&status=in_repair,awaiting_check&assignee=me&overdue=1`,
 * `?sort=newest&page=3`. Pure: read, written and turned into the hub's query here, tested
 * without a browser.
 */
export type DeskView = 'list' | 'board';
export type DeskSort = OrderListSort;
const SORTS: readonly DeskSort[] = ['urgent', 'newest', 'updated'];

/** Orders on one page of the list: a screenful on a desk, still quick to scroll on a phone. */
export const PAGE_SIZE = 50;
/** Cards a board column shows before "N more — open as list". */
export const BOARD_CARDS = 20;
/** No estate has this many pages; a larger number in the address is a typo, not a page. */
const MAX_PAGE = 100_000;

export interface DeskFilters {
  view: DeskView;
  sort: DeskSort;
  site?: string;
  priority?: number;
  statuses: WorkOrderStatus[];
  /** A user name, or `me` (whoever is signed in: the bookmark works for everyone). */
  assignee?: string;
  overdue: boolean;
  /** The list's page, from 1 (the board has none). */
  page: number;
}

export const DEFAULT_FILTERS: DeskFilters = {
  view: 'list',
  sort: 'urgent',
  statuses: [],
  overdue: false,
  page: 1,
};

const ID = /^[\w.@-]{1,64}$/;

/** Whatever is in the address bar: unknown or malformed values are ignored, never an error. */
export function filtersFromQuery(params: URLSearchParams): DeskFilters {
  const filters: DeskFilters = { ...DEFAULT_FILTERS, statuses: [] };
  if (params.get('view') === 'board') filters.view = 'board';
  const sort = SORTS.find((s) => s === params.get('sort'));
  if (sort) filters.sort = sort;
  const site = params.get('site');
  if (site && ID.test(site)) filters.site = site;
  const priority = Number(params.get('priority'));
  if ((ORDER_PRIORITIES as readonly number[]).includes(priority)) filters.priority = priority;
  const statuses = (params.get('status') ?? '').split(',');
  filters.statuses = ORDER_STATUSES.filter((s) => statuses.includes(s));
  const assignee = params.get('assignee');
  if (assignee && ID.test(assignee)) filters.assignee = assignee;
  filters.overdue = params.get('overdue') === '1' || params.get('overdue') === 'true';
  const page = Number(params.get('page'));
  if (Number.isInteger(page) && page >= 1 && page <= MAX_PAGE) filters.page = page;
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
  if (filters.view === 'list' && filters.page > 1) params.set('page', String(filters.page));
  return params;
}

/**
 * The filters after a change: any change but the page's starts the list again at page 1 (page
 * 7 of another selection is nobody's intent).
 */
export function changeFilters(filters: DeskFilters, patch: Partial<DeskFilters>): DeskFilters {
  return { ...filters, page: 1, ...patch };
}

/** The hub's filters for these (`me` becomes the signed-in user); the list and board add theirs. */
export function apiQuery(filters: DeskFilters, username: string): Query {
  const assignee = filters.assignee === 'me' ? username : filters.assignee;
  return {
    status: filters.statuses.length > 0 ? filters.statuses.join(',') : undefined,
    site: filters.site,
    priority: filters.priority,
    assignee,
    overdue: filters.overdue ? 'true' : undefined,
    sort: filters.sort,
  };
}

/** GET /api/work-orders's query for the filters' page. */
export function listQuery(filters: DeskFilters, username: string, asOf?: number): Query {
  return {
    ...apiQuery(filters, username),
    limit: PAGE_SIZE,
    offset: (filters.page - 1) * PAGE_SIZE,
    as_of: asOf,
  };
}

/** Which orders a page shows, for "showing 51–100 of 1,234" (from 0 to 0 when it is empty). */
export function pageRange(page: number, shown: number, total: number) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const from = shown === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  return { from, to: shown === 0 ? 0 : from + shown - 1, pages, pastEnd: shown === 0 && page > pages };
}

/**
 * Where a board column's "N more — open as list" leads: the list of that column's statuses,
 * the other filters kept, ordered as the column was.
 */
export function columnListQuery(filters: DeskFilters, column: Pick<OrderBoardColumn, 'statuses' | 'sort'>) {
  return filtersToQuery({
    ...filters,
    view: 'list',
    page: 1,
    statuses: [...column.statuses],
    sort: column.sort,
  });
}

/**
 * Where an order stands against its limits, from the list's row alone (the order page asks the
 * hub for the exact state; the hub's urgent order ranks by the same rule, order-list.ts): `overdue` past a running limit, `at_risk` in the last quarter of
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

/** The next deadline still running, for "due in …" (null: none). */
export function nextDue(order: WorkOrder): number | null {
  if (CLOSED_ORDER_STATUSES.includes(order.status)) return null;
  const dues = [order.completion_due_at, order.dispatched_at === null ? order.response_due_at : null];
  const running = dues.filter((d): d is number => d !== null);
  return running.length > 0 ? Math.min(...running) : null;
}
