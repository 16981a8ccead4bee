import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Acknowledgement } from '../components/Acknowledgement.js';
import { SeverityLabel } from '../components/SeverityLabel.js';
import { useNow } from '../components/use-now.js';
import { useTitle } from '../components/use-title.js';
import { useFormat } from '../i18n/format.js';
import { useAlarms, useLiveStore } from '../store/hooks.js';
import { isOpen } from '../store/tile-state.js';

/** Every live alarm, most severe and newest first; cleared ones (within the flap window) on request. */
export function AlarmsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const store = useLiveStore();
  const alarms = useAlarms();
  const [showCleared, setShowCleared] = useState(false);
  const now = useNow(15_000);
  useTitle(t('alarms.title'));
  const shown = showCleared ? alarms : alarms.filter(isOpen);
  return (
    <section aria-labelledby="alarms-page-title">
      <div className="page-head">
        <h1 id="alarms-page-title">{t('alarms.title')}</h1>
        <label className="check">
          <input type="checkbox" checked={showCleared} onChange={(e) => setShowCleared(e.target.checked)} />{' '}
          {t('alarms.showCleared')}
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="muted">{t('alarms.none')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="alarms-table">
            <thead>
              <tr>
                <th scope="col">{t('alarms.columns.severity')}</th>
                <th scope="col">{t('alarms.columns.alarm')}</th>
                <th scope="col">{t('alarms.columns.device')}</th>
                <th scope="col">{t('alarms.columns.where')}</th>
                <th scope="col">{t('alarms.columns.state')}</th>
                <th scope="col">{t('alarms.columns.raised')}</th>
                <th scope="col">{t('alarms.columns.acknowledged')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((alarm) => {
                const view = alarm.device ? store.device(alarm.device) : undefined;
                return (
                  <tr key={alarm.id} data-alarm={alarm.id}>
                    <td>
                      <SeverityLabel severity={alarm.severity} t={t} />
                    </td>
                    <td>{alarm.title}</td>
                    <td>
                      {alarm.device ? (
                        <Link to={`/devices/${encodeURIComponent(alarm.device)}`}>{alarm.device}</Link>
                      ) : (
                        t('alarms.gateway', { gateway: alarm.gateway ?? '?' })
                      )}
                    </td>
                    <td>
                      {[view?.site.name ?? alarm.site, view?.building?.name, view?.room?.name]
                        .filter(Boolean)
                        .join(' · ')}
                    </td>
                    <td>{t(`alarmState.${alarm.state}`)}</td>
                    <td>
                      {alarm.raised_at !== null ? (
                        <time
                          dateTime={new Date(alarm.raised_at).toISOString()}
                          title={format.dateTime(alarm.raised_at)}
                        >
                          {format.relative(alarm.raised_at, now)}
                        </time>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <Acknowledgement alarm={alarm} className="small" />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
