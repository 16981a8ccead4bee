import {
  ORDER_BOARD_COLUMNS,
  type OrderBoardColumn,
  type OrderListSort,
  type WorkOrderStatus,
} from '@caretaker/protocol';
import { type SelectQueryBuilder, sql } from 'kysely';
import { CLOSED_ORDER_STATUSES, type Database, type WorkOrderRow } from '../db/schema.js';
import type { OrderSearch, WorkOrderService } from './work-order.service.js';

/**
 * The order of a list of orders, in SQL so that a page of a long list is the same page the
 * desk would have sorted (the desk used to sort the first 500 itself). Every order ends with
 * the id, so limit/offset paging neither repeats nor skips an order; the urgent order depends
 * on the time, so it is judged at one instant (`now`) that a client paging on passes back.
 */
export function orderListBy<O>(
  q: SelectQueryBuilder<Database, 'work_orders', O>,
  sort: OrderListSort,
  now: number,
): SelectQueryBuilder<Database, 'work_orders', O> {
  if (sort === 'newest') return q.orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (sort === 'updated') return q.orderBy('updated_at', 'desc').orderBy('id', 'desc');
  const closed = sql.join(CLOSED_ORDER_STATUSES);
  // The dashboard's SLA badge in SQL (dashboard/src/features/orders/desk-filters.ts `deskSla`):
  // 0 overdue, 1 at risk (last quarter of a limit), 2 on track, 3 paused, 4 no limit, 5 done.
  // The response limit runs only until the order is dispatched.
  const slaRank = sql<number>`case
    when status in (${closed}) then 5
    when status = ${'deferred'} or sla_paused_since is not null then 3
    when completion_due_at is null and (response_due_at is null or dispatched_at is not null) then 4
    when completion_due_at <= ${now} or (dispatched_at is null and response_due_at <= ${now}) then 0
    when (completion_limit_ms > 0 and (completion_due_at - ${now}) * 4 <= completion_limit_ms)
      or (dispatched_at is null and response_limit_ms > 0
          and (response_due_at - ${now}) * 4 <= response_limit_ms) then 1
    else 2 end`;
  // The nearest running deadline (SQLite's min() and PostgreSQL's least() disagree on null).
  const nextDue = sql<number | null>`case
    when status in (${closed}) then null
    when dispatched_at is not null or response_due_at is null then completion_due_at
    when completion_due_at is null or response_due_at < completion_due_at then response_due_at
    else completion_due_at end`;
  return q
    .orderBy(slaRank)
    .orderBy('priority')
    .orderBy(nextDue, (ob) => ob.asc().nullsLast())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc');
}

/** A board's filters: the list's, without paging, and how many cards a column shows. */
export type BoardSearch = Omit<OrderSearch, 'limit' | 'offset'> & { perColumn: number };

/**
 * The desk's board: each column's first cards and its true count. Open columns follow the
 * requested order; the done column shows the most recently finished ones (a large estate has
 * thousands of them, and the latest are the ones a desk looks at).
 */
export type BoardColumnRows = Omit<OrderBoardColumn, 'work_orders'> & { work_orders: WorkOrderRow[] };

export async function orderBoard(
  orders: WorkOrderService,
  filter: BoardSearch,
  sites: readonly string[] | 'all',
  now: number,
): Promise<BoardColumnRows[]> {
  const { perColumn, status, ...rest } = filter;
  return Promise.all(
    ORDER_BOARD_COLUMNS.map(async (column): Promise<BoardColumnRows> => {
      const statuses = column.statuses.filter((s: WorkOrderStatus) => !status || status.includes(s));
      const sort: OrderListSort = column.key === 'done' ? 'updated' : (rest.sort ?? 'urgent');
      if (statuses.length === 0) return { key: column.key, statuses, total: 0, sort, work_orders: [] };
      const page = await orders.search(
        { ...rest, status: statuses, sort, limit: perColumn, offset: 0 },
        sites,
        now,
      );
      return {
        key: column.key,
        statuses,
        total: page.total,
        sort,
        work_orders: page.orders,
      };
    }),
  );
}
