import type { SlaDetail, SlaLimitState } from '@caretaker/protocol';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNow } from '../../components/use-now.js';
import { useFormat } from '../../i18n/format.js';
import { PhaseBadge } from './badges.js';
import { errorText, ordersApi } from './orders.api.js';
import { formatCountdown, limitNow } from './sla-countdown.js';

/**
 * The order's time limits (GET /api/work-orders/:id/sla), counting down each second in the
 * browser from the hub's answer; the hub is asked again whenever the order changes.
 */
export function SlaPanel({ orderId, version }: { orderId: number; version: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [state, setState] = useState<{ detail: SlaDetail; receivedAt: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const now = useNow(1000);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` reloads after a change
  useEffect(() => {
    const controller = new AbortController();
    ordersApi.sla(orderId, controller.signal).then(
      (detail) => {
        setState({ detail, receivedAt: Date.now() });
        setError(null);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
  }, [orderId, version]);

  const sla = state?.detail.sla;
  const since = state ? Math.max(0, now - state.receivedAt) : 0;
  return (
    <section className="panel" aria-labelledby="sla-title" data-testid="sla-panel">
      <h2 id="sla-title">{t('orders.slaPanel.heading')}</h2>
      {error ? (
        <p className="error" role="alert">
          {t('orders.slaPanel.failed', { error })}
        </p>
      ) : null}
      {sla && !sla.response && !sla.completion ? <p className="muted">{t('orders.slaPanel.none')}</p> : null}
      {sla ? (
        <dl className="sla-limits">
          {sla.response ? (
            <Limit name="response" limit={sla.response} paused={sla.paused} since={since} />
          ) : null}
          {sla.completion ? (
            <Limit name="completion" limit={sla.completion} paused={sla.paused} since={since} />
          ) : null}
        </dl>
      ) : null}
      {sla && sla.escalation_level > 0 ? (
        <p className="small">
          <span aria-hidden="true">⬆</span> {t('orders.slaPanel.escalated', { level: sla.escalation_level })}
        </p>
      ) : null}
      {state && state.detail.escalations.length > 0 ? (
        <ul className="escalations small" data-testid="escalations">
          {state.detail.escalations.map((e) => (
            <li key={`${e.limit}-${e.level}`}>
              {t('orders.slaPanel.escalation', {
                level: e.level,
                time: format.dateTime(e.ts),
                people: e.notified.join(', '),
              })}
              <span className="muted"> · {e.reason}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function Limit({
  name,
  limit,
  paused,
  since,
}: {
  name: 'response' | 'completion';
  limit: SlaLimitState;
  paused: boolean;
  since: number;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const state = limitNow(limit, paused, since);
  const time = formatCountdown(state.remainingMs, format.locale);
  const text =
    state.phase === 'met_on_time'
      ? t('orders.slaPanel.metOnTime', { time })
      : state.phase === 'met_late'
        ? t('orders.slaPanel.metLate', { time })
        : state.phase === 'paused'
          ? t('orders.slaPanel.paused', { time })
          : state.phase === 'stopped'
            ? t('orders.slaPanel.stopped')
            : state.phase === 'overdue'
              ? t('orders.slaPanel.overdueBy', { time })
              : t('orders.slaPanel.remaining', { time });
  return (
    <div className={`sla-limit phase-${state.phase}`} data-limit={name} data-phase={state.phase}>
      <dt>
        {t(`orders.slaPanel.${name}`)} <PhaseBadge phase={state.phase} t={t} />
      </dt>
      <dd>
        <span className="countdown" data-testid={`countdown-${name}`}>
          {text}
        </span>
        <span className="muted small">
          {' · '}
          {t('orders.slaPanel.dueAt', { time: format.dateTime(state.dueAt) })}
          {' · '}
          {t('orders.slaPanel.percent', { percent: format.number(state.percent) })}
        </span>
        <progress max={100} value={Math.min(100, state.percent)} aria-hidden="true" />
      </dd>
    </div>
  );
}
