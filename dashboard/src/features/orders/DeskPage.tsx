import {
  CLOSED_ORDER_STATUSES,
  ORDER_PRIORITIES,
  ORDER_STATUSES,
  type OrderBoard,
  type WorkOrder,
  type WorkOrderPage,
} from '@caretaker/protocol';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useSession } from '../../auth/session.js';
import { LoadState, SelectField } from '../../components/page-parts.js';
import { useNow } from '../../components/use-now.js';
import { useTitle } from '../../components/use-title.js';
import { useFormat } from '../../i18n/format.js';
import { useLayout } from '../../store/hooks.js';
import { PriorityBadge, SlaBadge, StatusBadge } from './badges.js';
import { DeskPager, RangeLine } from './DeskPager.js';
import {
  apiQuery,
  BOARD_CARDS,
  changeFilters,
  columnListQuery,
  type DeskFilters,
  type DeskSort,
  deskSla,
  filtersFromQuery,
  filtersToQuery,
  listQuery,
  nextDue,
} from './desk-filters.js';
import { errorText, ordersApi } from './orders.api.js';
import { useMaintenanceVersion } from './use-orders-refresh.js';
import { usePlaceNames } from './use-place-names.js';
import './desk-paging.css';

/** Everything not yet completed, closed or cancelled: the desk's "open orders" choice. */
const OPEN_STATUSES = ORDER_STATUSES.filter((s) => !CLOSED_ORDER_STATUSES.includes(s));

type DeskData = { view: 'list'; page: WorkOrderPage } | { view: 'board'; board: OrderBoard };

/**
 * The work-order desk: the orders of the user's sites as a list (cards on a phone), a page at a
 * time, or a board by status with each column's true count; filtered and paged by the address's
 * query (bookmarkable), sorted by the hub, reloaded in place when the hub announces a change.
 */
export function DeskPage() {
  const { t } = useTranslation();
  const can = useCan();
  const { session } = useSession();
  const username = session.status === 'signed-in' ? session.me.username : '';
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromQuery(params), [params]);
  const version = useMaintenanceVersion();
  const now = useNow(30_000);
  const [data, setData] = useState<DeskData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rangeRef = useRef<HTMLParagraphElement>(null);
  /** Set by the pager: the new page's first line takes the focus once it has arrived. */
  const focusOnLoad = useRef(false);
  /**
   * The instant the hub judged the current selection at: later pages of the same selection
   * are asked at the same instant, so an order that turns overdue meanwhile cannot move from a
   * page not yet seen to one already seen. A new selection or an announced change starts anew.
   */
  const pinned = useRef<{ key: string; version: number; asOf: number } | null>(null);
  useTitle(t('orders.title'));

  const selection = JSON.stringify({ view: filters.view, ...apiQuery(filters, username) });
  const page = filters.page;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `selection` stands for the filters; `version` is the hub's "something changed"
  useEffect(() => {
    const controller = new AbortController();
    const pin = pinned.current;
    const asOf = pin && pin.key === selection && pin.version === version ? pin.asOf : undefined;
    const remember = (at: number) => {
      pinned.current = { key: selection, version, asOf: at };
    };
    const failed = (err: unknown) => {
      if (!controller.signal.aborted) setError(errorText(err));
    };
    if (filters.view === 'board') {
      ordersApi
        .board({ ...apiQuery(filters, username), per_column: BOARD_CARDS, as_of: asOf }, controller.signal)
        .then((board) => {
          remember(board.as_of);
          setData({ view: 'board', board });
          setError(null);
        }, failed);
    } else {
      ordersApi.list(listQuery(filters, username, asOf), controller.signal).then((res) => {
        remember(res.as_of);
        setData({ view: 'list', page: res });
        setError(null);
      }, failed);
    }
    return () => controller.abort();
  }, [selection, page, version]);

  useEffect(() => {
    if (data && focusOnLoad.current) {
      focusOnLoad.current = false;
      rangeRef.current?.focus();
      rangeRef.current?.scrollIntoView({ block: 'start' });
    }
  }, [data]);

  const update = (patch: Partial<DeskFilters>) => setParams(filtersToQuery(changeFilters(filters, patch)));
  const pageTo = (n: number) => filtersToQuery({ ...filters, page: n });
  // Until the answer for the view on screen arrives, the old one is not shown as if it were it.
  const shown = data && data.view === filters.view ? data : null;
  const orders = shown
    ? shown.view === 'list'
      ? shown.page.work_orders
      : shown.board.columns.flatMap((c) => c.work_orders)
    : [];

  return (
    <section aria-labelledby="desk-title" className="desk">
      <div className="page-head">
        <h1 id="desk-title">{t('orders.desk.heading')}</h1>
        {can('orders.create') ? (
          <Link className="button primary" to="/orders/new">
            + {t('orders.desk.create')}
          </Link>
        ) : null}
      </div>
      <Filters filters={filters} update={update} orders={orders} />
      <LoadState
        loading={shown === null}
        loadingText={t('orders.desk.loading')}
        error={error ? t('orders.desk.failed', { error }) : null}
        errorClassName="banner"
      />
      {shown === null ? null : shown.view === 'board' ? (
        <Board board={shown.board} filters={filters} now={now} />
      ) : (
        <>
          <RangeLine ref={rangeRef} result={shown.page} page={page} pageTo={pageTo} />
          {shown.page.work_orders.length === 0 ? (
            shown.page.total === 0 ? (
              <p className="muted">{t('orders.desk.empty')}</p>
            ) : null
          ) : (
            <OrderTable orders={shown.page.work_orders} now={now} />
          )}
          <DeskPager
            result={shown.page}
            page={page}
            pageTo={pageTo}
            onNavigate={() => {
              focusOnLoad.current = true;
            }}
          />
        </>
      )}
    </section>
  );
}

const SORT_OPTIONS: readonly DeskSort[] = ['urgent', 'newest', 'updated'];

function Filters({
  filters,
  update,
  orders,
}: {
  filters: DeskFilters;
  update: (patch: Partial<DeskFilters>) => void;
  orders: readonly WorkOrder[];
}) {
  const { t } = useTranslation();
  const layout = useLayout();
  const id = useId();
  // Whoever holds an order in view, and whoever the address names, can be picked.
  const assignees = useMemo(() => {
    const names = new Set(orders.map((o) => o.assignee).filter((a): a is string => a !== null));
    if (filters.assignee && filters.assignee !== 'me') names.add(filters.assignee);
    return [...names].sort();
  }, [orders, filters.assignee]);
  const sites = layout.sites.map((s) => ({ id: s.id, name: s.name }));
  if (filters.site && !sites.some((s) => s.id === filters.site))
    sites.push({ id: filters.site, name: filters.site });
  const isOpenSet =
    filters.statuses.length === OPEN_STATUSES.length &&
    OPEN_STATUSES.every((st) => filters.statuses.includes(st));
  const status = isOpenSet
    ? 'open'
    : filters.statuses.length === 1
      ? filters.statuses[0]
      : filters.statuses.length > 1
        ? 'many'
        : '';

  return (
    <form
      className="desk-filters panel"
      aria-label={t('orders.desk.filters')}
      onSubmit={(e) => e.preventDefault()}
    >
      <fieldset className="segmented view-switch">
        <legend className="visually-hidden">{t('orders.desk.view')}</legend>
        {(['list', 'board'] as const).map((view) => (
          <button
            key={view}
            type="button"
            aria-pressed={filters.view === view}
            data-view={view}
            onClick={() => update({ view })}
          >
            {t(`orders.desk.${view}`)}
          </button>
        ))}
      </fieldset>
      <SelectField
        id={`${id}-site`}
        label={t('orders.desk.site')}
        value={filters.site ?? ''}
        onChange={(site) => update({ site: site || undefined })}
        options={sites.map((s) => ({ value: s.id, label: s.name }))}
      >
        <option value="">{t('orders.desk.anySite')}</option>
      </SelectField>
      <SelectField
        id={`${id}-priority`}
        label={t('orders.desk.priority')}
        value={filters.priority ?? ''}
        onChange={(priority) => update({ priority: priority ? Number(priority) : undefined })}
        options={ORDER_PRIORITIES.map((p) => ({ value: p, label: t(`orders.priority.p${p}`) }))}
      >
        <option value="">{t('orders.desk.anyPriority')}</option>
      </SelectField>
      <label htmlFor={`${id}-status`}>
        {t('orders.desk.status')}
        <select
          id={`${id}-status`}
          value={status}
          onChange={(e) =>
            update({
              statuses:
                e.target.value === 'many'
                  ? filters.statuses
                  : e.target.value === 'open'
                    ? [...OPEN_STATUSES]
                    : ORDER_STATUSES.filter((s) => s === e.target.value),
            })
          }
        >
          <option value="">{t('orders.desk.anyStatus')}</option>
          <option value="open">{t('orders.desk.openOnly')}</option>
          {status === 'many' ? (
            <option value="many">{filters.statuses.map((s) => t(`orderStatus.${s}`)).join(', ')}</option>
          ) : null}
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`orderStatus.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <SelectField
        id={`${id}-assignee`}
        label={t('orders.desk.assignee')}
        value={filters.assignee ?? ''}
        onChange={(assignee) => update({ assignee: assignee || undefined })}
        options={assignees.map((a) => ({ value: a, label: a }))}
      >
        <option value="">{t('orders.desk.anyone')}</option>
        <option value="me">{t('orders.desk.mine')}</option>
      </SelectField>
      <SelectField
        id={`${id}-sort`}
        label={t('orders.desk.sort')}
        value={filters.sort}
        onChange={(sort) => update({ sort: SORT_OPTIONS.find((s) => s === sort) ?? 'urgent' })}
        options={SORT_OPTIONS.map((value) => ({ value, label: t(`orders.desk.sort_${value}`) }))}
      />
      <label className="check-label" htmlFor={`${id}-overdue`}>
        <input
          id={`${id}-overdue`}
          type="checkbox"
          checked={filters.overdue}
          onChange={(e) => update({ overdue: e.target.checked })}
        />
        {t('orders.desk.overdue')}
      </label>
      <button
        type="button"
        onClick={() =>
          update({ site: undefined, priority: undefined, statuses: [], assignee: undefined, overdue: false })
        }
      >
        {t('orders.desk.clear')}
      </button>
    </form>
  );
}

/** A table on a wide screen; each row becomes a card on a phone (styles in orders.css). */
function OrderTable({ orders, now }: { orders: readonly WorkOrder[]; now: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { place: placeOf } = usePlaceNames();
  return (
    <div className="table-wrap">
      <table className="table order-table" data-testid="orders-table">
        <thead>
          <tr>
            <th scope="col">{t('orders.columns.code')}</th>
            <th scope="col">{t('orders.columns.title')}</th>
            <th scope="col">{t('orders.columns.place')}</th>
            <th scope="col">{t('orders.columns.priority')}</th>
            <th scope="col">{t('orders.columns.status')}</th>
            <th scope="col">{t('orders.columns.assignee')}</th>
            <th scope="col">{t('orders.columns.sla')}</th>
            <th scope="col">{t('orders.columns.created')}</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((order) => {
            const due = nextDue(order);
            return (
              <tr key={order.id} data-order={order.code} data-order-status={order.status}>
                <th scope="row" data-label={t('orders.columns.code')}>
                  <Link
                    to={`/orders/${order.id}`}
                    aria-label={t('orders.desk.openOrder', { code: order.code })}
                  >
                    {order.code}
                  </Link>
                </th>
                <td data-label={t('orders.columns.title')} className="order-title">
                  {order.title}
                </td>
                <td data-label={t('orders.columns.place')}>{placeOf(order)}</td>
                <td data-label={t('orders.columns.priority')}>
                  <PriorityBadge priority={order.priority} t={t} />
                </td>
                <td data-label={t('orders.columns.status')}>
                  <StatusBadge status={order.status} t={t} />
                </td>
                <td data-label={t('orders.columns.assignee')}>
                  {order.assignee ?? t('orders.desk.unassigned')}
                </td>
                <td data-label={t('orders.columns.sla')}>
                  <SlaBadge sla={deskSla(order, now)} t={t} />
                  {due !== null ? (
                    <span className="muted small">
                      {' '}
                      {t('orders.desk.due', { time: format.relative(due, now) })}
                    </span>
                  ) : null}
                </td>
                <td data-label={t('orders.columns.created')}>
                  <time dateTime={new Date(order.created_at).toISOString()}>
                    {format.dateTime(order.created_at)}
                  </time>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The board: each column's first cards and its true count from the hub; a column with more
 * than it shows links to the list of them (the done column holds the most recently finished).
 */
function Board({ board, filters, now }: { board: OrderBoard; filters: DeskFilters; now: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { place: placeOf } = usePlaceNames();
  return (
    <>
      <p className="muted small" role="status" data-testid="desk-count">
        {t('orders.desk.total', {
          count: board.columns.reduce((sum, c) => sum + c.total, 0),
          total: format.number(board.columns.reduce((sum, c) => sum + c.total, 0)),
        })}
      </p>
      <div className="order-board" data-testid="orders-board">
        {board.columns.map((column) => {
          const name = t(`orderStatus.${column.key}`);
          const more = column.total - column.work_orders.length;
          return (
            <section
              key={column.key}
              className="order-column"
              aria-labelledby={`col-${column.key}`}
              data-column={column.key}
              data-total={column.total}
            >
              <h2 id={`col-${column.key}`}>
                {name} <span className="muted column-total">({format.number(column.total)})</span>
              </h2>
              {column.key === 'done' && column.total > 0 ? (
                <p className="muted small">{t('orders.desk.recentFirst')}</p>
              ) : null}
              {column.total === 0 ? <p className="muted small">{t('orders.desk.columnEmpty')}</p> : null}
              <ul>
                {column.work_orders.map((order) => {
                  const due = nextDue(order);
                  return (
                    <li
                      key={order.id}
                      className="order-card"
                      data-order={order.code}
                      data-order-status={order.status}
                    >
                      <Link
                        to={`/orders/${order.id}`}
                        aria-label={t('orders.desk.openOrder', { code: order.code })}
                      >
                        {order.code}
                      </Link>{' '}
                      <PriorityBadge priority={order.priority} t={t} />
                      <p className="order-title">{order.title}</p>
                      <p className="muted small">{placeOf(order)}</p>
                      {column.key === 'done' ? (
                        <StatusBadge status={order.status} t={t} />
                      ) : (
                        <p className="small">
                          <SlaBadge sla={deskSla(order, now)} t={t} />{' '}
                          {due !== null ? t('orders.desk.due', { time: format.relative(due, now) }) : null}
                        </p>
                      )}
                      <p className="small">{order.assignee ?? t('orders.desk.unassigned')}</p>
                    </li>
                  );
                })}
              </ul>
              {more > 0 ? (
                <Link
                  className="column-more"
                  data-testid={`column-more-${column.key}`}
                  to={{ search: columnListQuery(filters, column).toString() }}
                  aria-label={t('orders.desk.columnMore', { n: format.number(more), column: name })}
                >
                  {t('orders.desk.more', { n: format.number(more) })}
                </Link>
              ) : null}
            </section>
          );
        })}
      </div>
    </>
  );
}
