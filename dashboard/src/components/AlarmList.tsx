import type { AlarmSummary } from '@caretaker/protocol';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useFormat } from '../i18n/format.js';
import { useAlarms, useLiveStore } from '../store/hooks.js';
import { isOpen } from '../store/tile-state.js';
import { Acknowledgement } from './Acknowledgement.js';
import { SeverityLabel } from './SeverityLabel.js';
import { useNow } from './use-now.js';

/**
 * Active alarms beside the board: the most severe first, then the newest (the store keeps
 * them sorted). `limit` keeps the wall screen's column short; the alarms page lists all.
 */
export function AlarmList({ limit, device }: { limit?: number; device?: string }) {
  const { t } = useTranslation();
  const all = useAlarms();
  const open = all.filter((a) => isOpen(a) && (device === undefined || a.device === device));
  const shown = limit === undefined ? open : open.slice(0, limit);
  useNow(15_000);
  if (open.length === 0) return <p className="muted">{t('alarms.none')}</p>;
  return (
    <>
      <ol className="alarm-list" data-testid="alarm-list">
        {shown.map((alarm) => (
          <AlarmItem key={alarm.id} alarm={alarm} />
        ))}
      </ol>
      {open.length > shown.length ? (
        <p className="small">
          <Link to="/alarms">{t('alarms.more', { count: open.length - shown.length })}</Link>
        </p>
      ) : null}
    </>
  );
}

function AlarmItem({ alarm }: { alarm: AlarmSummary }) {
  const { t } = useTranslation();
  const format = useFormat();
  const store = useLiveStore();
  const view = alarm.device ? store.device(alarm.device) : undefined;
  const where = [view?.site.name ?? alarm.site, view?.building?.name, view?.room?.name]
    .filter(Boolean)
    .join(' · ');
  const ttl = alarm.detail.time_to_limit_ms;
  return (
    <li className={`alarm severity-${alarm.severity}`} data-alarm={alarm.id} data-rule={alarm.rule_id}>
      <div className="alarm-head">
        <SeverityLabel severity={alarm.severity} t={t} />
        {alarm.state === 'clearing' ? (
          <span className="muted small"> · {t('alarmState.clearing')}</span>
        ) : null}
        {alarm.flapping ? <span className="muted small"> · {t('alarms.flapping')}</span> : null}
      </div>
      <p className="alarm-title">{alarm.title}</p>
      <p className="muted small">
        {alarm.device ? (
          <Link to={`/devices/${encodeURIComponent(alarm.device)}`}>{alarm.device}</Link>
        ) : (
          t('alarms.gateway', { gateway: alarm.gateway ?? '?' })
        )}
        {where ? ` · ${where}` : ''}
      </p>
      <p className="muted small">
        {alarm.raised_at !== null ? (
          <time dateTime={new Date(alarm.raised_at).toISOString()} title={format.dateTime(alarm.raised_at)}>
            {t('alarms.raised', { time: format.relative(alarm.raised_at, Date.now()) })}
          </time>
        ) : null}
        {typeof ttl === 'number' && ttl > 0
          ? ` · ${t('alarms.timeToLimit', { duration: format.duration(ttl) })}`
          : ''}
      </p>
      <Acknowledgement alarm={alarm} className="small" />
    </li>
  );
}
