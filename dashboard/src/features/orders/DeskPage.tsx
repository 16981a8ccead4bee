import { CLOSED_ORDER_STATUSES, ORDER_PRIORITIES, ORDER_STATUSES, type WorkOrder } from '@caretaker/protocol';
import { useEffect, useId, useMemo, useState } from 'react';
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
import {
  apiQuery,
  BOARD_COLUMNS,
  type DeskFilters,
  deskSla,
  filtersFromQuery,
  filtersToQuery,
  groupByStatus,
  nextDue,
  sortOrders,
} from './desk-filters.js';
import { errorText, ordersApi } from './orders.api.js';
import { useMaintenanceVersion } from './use-orders-refresh.js';
import { usePlaceNames } from './use-place-names.js';

/** Everything not yet completed, closed or cancelled: the desk's "open orders" choice. */
const OPEN_STATUSES = ORDER_STATUSES.filter((s) => !CLOSED_ORDER_STATUSES.includes(s));

/** More than a desk shows at once; the count says when there are more. */
const LIMIT = 500;

/**
 * The work-order desk: every order of the user's sites as a list (cards on a phone) or a board
 * by status, filtered by the address's query (bookmarkable), most urgent first, reloaded when
 * the hub announces a change.
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
  const [data, setData] = useState<{ orders: WorkOrder[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle(t('orders.title'));

  const queryKey = JSON.stringify(apiQuery(filters, username, LIMIT));
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the hub's "something changed"
  useEffect(() => {
    const controller = new AbortController();
    ordersApi.list(JSON.parse(queryKey), controller.signal).then(
      (res) => {
        setData({ orders: res.work_orders, total: res.total });
        setError(null);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
  }, [queryKey, version]);

  const update = (patch: Partial<DeskFilters>) => setParams(filtersToQuery({ ...filters, ...patch }));
  const sorted = useMemo(
    () => (data ? sortOrders(data.orders, filters.sort, now) : []),
    [data, filters.sort, now],
  );

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
      <Filters filters={filters} update={update} orders={data?.orders ?? []} />
      <LoadState
        loading={data === null}
        loadingText={t('orders.desk.loading')}
        error={error ? t('orders.desk.failed', { error }) : null}
        errorClassName="banner"
      />
      {data === null ? null : (
        <>
          <p className="muted small" role="status" data-testid="desk-count">
            {t('orders.desk.count', { count: data.total })}
            {data.total > data.orders.length
              ? ` (${t('orders.desk.shown', { shown: data.orders.length, total: data.total })})`
              : ''}
          </p>
          {sorted.length === 0 ? (
            <p className="muted">{t('orders.desk.empty')}</p>
          ) : filters.view === 'board' ? (
            <Board orders={sorted} now={now} />
          ) : (
            <OrderTable orders={sorted} now={now} />
          )}
        </>
      )}
    </section>
  );
}

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
        onChange={(sort) => update({ sort: sort === 'newest' ? 'newest' : 'urgent' })}
        options={[
          { value: 'urgent', label: t('orders.desk.sortUrgent') },
          { value: 'newest', label: t('orders.desk.sortNewest') },
        ]}
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

function Board({ orders, now }: { orders: readonly WorkOrder[]; now: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { place: placeOf } = usePlaceNames();
  const groups = groupByStatus(orders);
  return (
    <div className="order-board" data-testid="orders-board">
      {BOARD_COLUMNS.map((column) => (
        <section
          key={column.key}
          className="order-column"
          aria-labelledby={`col-${column.key}`}
          data-column={column.key}
        >
          <h2 id={`col-${column.key}`}>
            {t(`orderStatus.${column.key}`)} <span className="muted">({groups[column.key].length})</span>
          </h2>
          {groups[column.key].length === 0 ? (
            <p className="muted small">{t('orders.desk.columnEmpty')}</p>
          ) : null}
          <ul>
            {groups[column.key].map((order) => {
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
        </section>
      ))}
    </div>
  );
}
