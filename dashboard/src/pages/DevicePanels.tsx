import { apiPaths, type TrendPrediction } from '@caretaker/protocol';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useCan } from '../auth/permissions.js';
import { pointLabel } from '../components/point-label.js';
import { DeviceInspectionHistory } from '../features/inspections/DeviceInspectionHistory.js';
import { useFormat } from '../i18n/format.js';
import { useAlarms } from '../store/hooks.js';
import type { DeviceView } from '../store/live-store.js';
import { type DeviceOrder, deviceApi } from './device-api.js';

/** Predictions are refreshed this often (the trend line is refitted every minute or so). */
const PREDICTIONS_EVERY_MS = 30_000;

type Loaded<T> = { status: 'loading' } | { status: 'ready'; value: T } | { status: 'failed'; error: string };

/**
 * Loads once per key and again whenever `refresh` changes (the alarm list is refetched on every
 * maintenance change the hub announces, orders included), keeping the last value meanwhile.
 */
function useLoaded<T>(load: (signal: AbortSignal) => Promise<T>, key: string, refresh: unknown): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `load` is rebuilt each render; key and refresh say when to call it
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (value) => setState({ status: 'ready', value }),
      (err: Error) => {
        if (!controller.signal.aborted) setState({ status: 'failed', error: err.message });
      },
    );
    return () => controller.abort();
  }, [key, refresh]);
  return state;
}

/** The device page's panels beside the charts: predictions, work orders, inspections, QR code. */
export function DevicePanels({ view }: { view: DeviceView }) {
  const can = useCan();
  const id = view.summary.id;
  return (
    <div className="device-panels">
      <PredictionsPanel view={view} />
      {can('orders.read') ? <OrdersPanel device={id} /> : null}
      {can('orders.read') ? <InspectionsPanel device={id} /> : null}
      {/* Whoever may not raise an order has no use for the code that raises one. */}
      {can('orders.create') ? <QrPanel device={id} /> : null}
    </div>
  );
}

function Panel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className={`panel ${id}-panel`} aria-labelledby={`${id}-title`} data-testid={`${id}-panel`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

function Status({ state }: { state: Loaded<unknown> }) {
  const { t } = useTranslation();
  if (state.status === 'loading') return <p className="muted small">{t('device.loading')}</p>;
  if (state.status === 'failed') {
    return (
      <p className="error small" role="alert">
        {t('devicePanels.failed', { error: state.error })}
      </p>
    );
  }
  return null;
}

function PredictionsPanel({ view }: { view: DeviceView }) {
  const { t } = useTranslation();
  const id = view.summary.id;
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), PREDICTIONS_EVERY_MS);
    return () => clearInterval(timer);
  }, []);
  const state = useLoaded((signal) => deviceApi.predictions(id, signal), id, tick);
  return (
    <Panel id="predictions" title={t('devicePanels.predictions')}>
      {state.status !== 'ready' ? (
        <Status state={state} />
      ) : state.value.predictions.length === 0 ? (
        <p className="muted small">{t('devicePanels.noTrendRules')}</p>
      ) : (
        <ul className="prediction-list">
          {state.value.predictions.map((p) => (
            <Prediction key={p.rule_id} prediction={p} unit={view.summary.latest[p.point]?.unit} />
          ))}
        </ul>
      )}
    </Panel>
  );
}

function Prediction({ prediction: p, unit }: { prediction: TrendPrediction; unit: string | undefined }) {
  const { t } = useTranslation();
  const format = useFormat();
  const limit = `${format.number(p.limit)}${unit ? ` ${unit}` : ''}`;
  const soon = p.time_to_limit_ms !== null && p.time_to_limit_ms <= p.horizon_ms;
  let text: string;
  if (p.time_to_limit_ms === 0) text = t('devicePanels.atLimit', { limit });
  else if (p.time_to_limit_ms !== null) {
    text = t('devicePanels.reachesIn', { limit, duration: format.duration(p.time_to_limit_ms) });
  } else if (p.slope_per_hour === null) text = t('devicePanels.learning');
  else text = t('devicePanels.notHeading', { limit });
  return (
    <li data-rule={p.rule_id} data-testid="prediction">
      <strong>{p.title}</strong>
      <span className="muted small"> · {pointLabel(t, p.point)}</span>
      <br />
      <span className={soon ? 'prediction-soon' : undefined}>
        {soon ? <span aria-hidden="true">⚠ </span> : null}
        {text}
      </span>
      {p.slope_per_hour !== null ? (
        <span className="muted small">
          {' '}
          · {t('devicePanels.slope', { slope: format.number(p.slope_per_hour), unit: unit ?? '' })}
        </span>
      ) : null}
    </li>
  );
}

function OrderList({ orders }: { orders: readonly DeviceOrder[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <ul className="order-list">
      {orders.map((o) => (
        <li key={o.id} data-order={o.id}>
          <Link to={`/orders/${o.id}`}>
            {o.code} · {o.title}
          </Link>
          <br />
          <span className="small">
            {t(`orderStatus.${o.status}`, { defaultValue: o.status })} ·{' '}
            {t('devicePanels.priority', { priority: o.priority })} ·{' '}
            <time dateTime={new Date(o.created_at).toISOString()}>{format.dateTime(o.created_at)}</time>
          </span>
        </li>
      ))}
    </ul>
  );
}

function OrdersPanel({ device }: { device: string }) {
  const { t } = useTranslation();
  const alarms = useAlarms();
  const state = useLoaded((signal) => deviceApi.orders(device, { limit: 10 }, signal), device, alarms);
  return (
    <Panel id="orders" title={t('devicePanels.orders')}>
      {state.status !== 'ready' ? (
        <Status state={state} />
      ) : state.value.work_orders.length === 0 ? (
        <p className="muted small">{t('devicePanels.noOrders')}</p>
      ) : (
        <>
          <OrderList orders={state.value.work_orders} />
          {state.value.total > state.value.work_orders.length ? (
            <p className="small muted">
              {t('devicePanels.moreOrders', { count: state.value.total - state.value.work_orders.length })}
            </p>
          ) : null}
        </>
      )}
    </Panel>
  );
}

/** The device's inspection history, as the inspections feature shows it (its own heading). */
function InspectionsPanel({ device }: { device: string }) {
  return (
    <div className="panel inspections-panel" data-testid="inspections-panel">
      <DeviceInspectionHistory deviceId={device} limit={10} />
    </div>
  );
}

function QrPanel({ device }: { device: string }) {
  const { t } = useTranslation();
  const print = () => {
    // Only the code is printed (board.css); the class goes once the print dialog closes.
    document.body.classList.add('printing-qr');
    const done = () => {
      document.body.classList.remove('printing-qr');
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  };
  return (
    <Panel id="qr" title={t('devicePanels.qr')}>
      <img
        className="qr-code"
        src={apiPaths.qr(device)}
        alt={t('devicePanels.qrAlt', { device })}
        width={192}
        height={192}
        data-testid="qr-code"
      />
      <p className="muted small">{t('devicePanels.qrHint')}</p>
      <button type="button" onClick={print}>
        {t('devicePanels.print')}
      </button>
    </Panel>
  );
}
