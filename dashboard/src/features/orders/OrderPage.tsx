import type { OrderDetail } from '@caretaker/protocol';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useSession } from '../../auth/session.js';
import { useTitle } from '../../components/use-title.js';
import { useFormat } from '../../i18n/format.js';
import { useDevice } from '../../store/hooks.js';
import { ActionsPanel } from './ActionsPanel.js';
import { PriorityBadge, problemName, StatusBadge } from './badges.js';
import { evidencePoints } from './evidence-points.js';
import { errorText, ordersApi } from './orders.api.js';
import { PartsPanel } from './PartsPanel.js';
import { PhotosPanel } from './PhotosPanel.js';
import { SlaPanel } from './SlaPanel.js';
import { Timeline } from './Timeline.js';
import { useMaintenanceVersion } from './use-orders-refresh.js';
import { usePlaceNames } from './use-place-names.js';

// The chart library loads only for an order with a sensor's evidence.
const EvidenceChart = lazy(() => import('./EvidenceChart.js'));

/**
 * One order: who, where, what; its time limits counting down; what the sensors saw; what
 * happened so far; parts and photos; and the actions the hub allows the signed-in person.
 * Reloaded when the hub announces a change, and after each action taken here.
 */
export function OrderPage() {
  const { id: raw = '' } = useParams();
  const id = Number(raw);
  const { t } = useTranslation();
  const format = useFormat();
  const { session } = useSession();
  const username = session.status === 'signed-in' ? session.me.username : '';
  const hubVersion = useMaintenanceVersion();
  const [localVersion, setLocalVersion] = useState(0);
  const [detail, setDetail] = useState<OrderDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = hubVersion + localVersion;
  const changed = useCallback(() => setLocalVersion((n) => n + 1), []);
  const names = usePlaceNames();
  const deviceKeys = useDevice(detail?.work_order.device ?? '')?.keys;
  useTitle(detail?.work_order.code ?? t('orders.title'));

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` reloads after a change
  useEffect(() => {
    if (!Number.isInteger(id) || id < 1) {
      setError(`id: ${raw}`);
      return;
    }
    const controller = new AbortController();
    ordersApi.get(id, controller.signal).then(
      (res) => {
        setDetail(res);
        setError(null);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
  }, [id, raw, version]);

  const back = (
    <p className="small">
      <Link to="/orders">← {t('orders.page.back')}</Link>
    </p>
  );
  if (!detail || detail.work_order.id !== id) {
    return (
      <section>
        {back}
        {error ? (
          <p className="banner" role="alert">
            {t('orders.page.failed', { error })}
          </p>
        ) : (
          <p role="status">{t('orders.page.loading')}</p>
        )}
      </section>
    );
  }
  const order = detail.work_order;
  const helpers = detail.assignees.filter((a) => a.role === 'assistant').map((a) => a.username);
  const chartPoints = evidencePoints(order.evidence, deviceKeys);
  const alarmAt = order.evidence.alarm?.raised_at ?? (order.source === 'sensor' ? order.created_at : null);
  const worksOn = order.assignee === username || helpers.includes(username);

  return (
    <article className="order-page" aria-labelledby="order-title" data-order-page={order.code}>
      {back}
      {error ? (
        <p className="banner" role="alert">
          {t('orders.page.failed', { error })}
        </p>
      ) : null}
      <header className="order-head panel">
        <p className="order-code">
          <strong>{order.code}</strong> <StatusBadge status={order.status} t={t} />{' '}
          <PriorityBadge priority={order.priority} t={t} />
        </p>
        <h1 id="order-title">{order.title}</h1>
        <dl className="order-facts">
          {order.device ? (
            <div>
              <dt>{t('orders.page.device')}</dt>
              <dd>
                <Link to={`/devices/${encodeURIComponent(order.device)}`}>{order.device}</Link>
              </dd>
            </div>
          ) : null}
          <div>
            <dt>{t('orders.page.site')}</dt>
            <dd>
              {names.site(order.site)}
              {order.building ? ` · ${names.building(order.site, order.building)}` : ''}
              {order.location ? ` · ${order.location}` : ''}
            </dd>
          </div>
          <div>
            <dt>{t('orders.page.problemType')}</dt>
            <dd>{problemName(t, order.problem_type)}</dd>
          </div>
          <div>
            <dt>{t('orders.page.source')}</dt>
            <dd>{t(`orders.source.${order.source}`)}</dd>
          </div>
          <div>
            <dt>{t('orders.page.assignees')}</dt>
            <dd data-testid="order-assignees">
              {order.assignee || helpers.length > 0
                ? [
                    ...(order.assignee ? [order.assignee] : []),
                    ...helpers.map((name) => t('orders.page.helper', { name })),
                  ].join(', ')
                : t('orders.page.nobody')}
            </dd>
          </div>
          {order.requester ? (
            <div>
              <dt>{t('orders.page.requester')}</dt>
              <dd>{order.requester}</dd>
            </div>
          ) : null}
          <div>
            <dt>{t('orders.page.created')}</dt>
            <dd>{format.dateTime(order.created_at)}</dd>
          </div>
          {order.resolution ? (
            <div className="wide">
              <dt>{t('orders.page.resolution')}</dt>
              <dd data-testid="order-resolution">
                {order.resolution}
                {order.fault_category ? ` · ${t(`orders.fault.${order.fault_category}`)}` : ''}
                {order.labour_minutes > 0
                  ? ` · ${t('orders.page.labourMinutes', { count: order.labour_minutes })}`
                  : ''}
              </dd>
            </div>
          ) : null}
          {order.reject_count > 0 ? (
            <div>
              <dt>{t('orders.page.rejected')}</dt>
              <dd data-testid="order-rejects">
                {t('orders.page.rejectCount', { count: order.reject_count })}
              </dd>
            </div>
          ) : null}
          {order.rating !== null ? (
            <div className="wide">
              <dt>{t('orders.page.rating')}</dt>
              <dd data-testid="order-rating">
                <span aria-hidden="true" className="rating-stars">
                  {'★'.repeat(order.rating)}
                  {'☆'.repeat(Math.max(0, 5 - order.rating))}
                </span>{' '}
                {t('orders.page.ratingValue', { rating: order.rating })}
                {order.rating_comment ? ` · ${order.rating_comment}` : ''}
              </dd>
            </div>
          ) : null}
          {order.status === 'cancelled' && order.cancel_reason ? (
            <div className="wide">
              <dt>{t('orders.page.cancelReason')}</dt>
              <dd data-testid="order-cancel-reason">{order.cancel_reason}</dd>
            </div>
          ) : null}
        </dl>
        {order.description ? <p className="order-description">{order.description}</p> : null}
        {order.defer_requested_at !== null ? (
          <p className="banner-info" data-testid="defer-requested">
            {order.deferred_until !== null
              ? t('orders.page.deferRequestedUntil', {
                  time: format.dateTime(order.deferred_until),
                  reason: order.defer_reason ?? '',
                })
              : t('orders.page.deferRequested', { reason: order.defer_reason ?? '' })}
          </p>
        ) : null}
        {order.status === 'deferred' ? (
          <p className="banner-info" data-testid="deferred-until">
            <span aria-hidden="true">‖</span>{' '}
            {order.deferred_until !== null
              ? t('orders.page.deferredUntil', { time: format.dateTime(order.deferred_until) })
              : t('orders.page.deferred', { reason: order.defer_reason ?? '' })}
            {order.deferred_until !== null && order.defer_reason ? ` · ${order.defer_reason}` : ''}
          </p>
        ) : null}
      </header>

      <div className="order-grid">
        <div className="order-main">
          <ActionsPanel detail={detail} onDone={changed} />
          <SlaPanel orderId={order.id} version={version} />
          {order.device && alarmAt !== null ? (
            <section className="panel" aria-labelledby="evidence-title">
              <h2 id="evidence-title">{t('orders.page.evidence')}</h2>
              <p className="muted small">
                {t('orders.page.evidenceIntro', { device: order.device, time: format.dateTime(alarmAt) })}
              </p>
              <Suspense fallback={<p className="muted small">{t('orders.page.evidenceLoading')}</p>}>
                <EvidenceChart device={order.device} points={chartPoints} alarmAt={alarmAt} />
              </Suspense>
            </section>
          ) : null}
          <PartsPanel order={order} worksOn={worksOn} version={version} onDone={changed} />
          <PhotosPanel order={order} attachments={detail.attachments} onDone={changed} />
        </div>
        <Timeline events={detail.events} />
      </div>
    </article>
  );
}
