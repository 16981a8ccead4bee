import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useFormat } from '../../i18n/format.js';
import { ItemStatusLabel, LoadProblem, StatusLabel, useLoad, useMaintenanceVersion, When } from './common.js';
import { inspectionsApi } from './inspections.api.js';
import './inspections.css';
import { useFeatureMessages } from '../../i18n/i18n.js';
import * as messages from './messages.js';

/**
 * The inspection history of one device, latest first: each inspection that covered it, how
 * it stands, and how the device's own items went (values, failures and their repair orders).
 * Mounted on the device page.
 */
export function DeviceInspectionHistory({ deviceId, limit = 20 }: { deviceId: string; limit?: number }) {
  useFeatureMessages('inspections', messages);
  const { t } = useTranslation();
  const format = useFormat();
  const version = useMaintenanceVersion();
  const [loaded, , retry] = useLoad(
    (signal) => inspectionsApi.list({ device: deviceId, limit }, signal),
    [deviceId, limit, version],
  );
  return (
    <section
      aria-labelledby={`insp-history-${deviceId}`}
      className="insp-history"
      data-testid="inspection-history"
    >
      <h2 id={`insp-history-${deviceId}`}>{t('inspections.history.heading')}</h2>
      {loaded.state === 'loading' ? <p className="muted">{t('inspections.loading')}</p> : null}
      {loaded.state === 'error' ? <LoadProblem error={loaded.error} retry={retry} /> : null}
      {loaded.state === 'ready' && loaded.data.length === 0 ? (
        <p className="muted">{t('inspections.history.none')}</p>
      ) : null}
      {loaded.state === 'ready' && loaded.data.length > 0 ? (
        <ul className="insp-occurrences">
          {loaded.data.map((inspection) => (
            <li key={inspection.id} className="insp-occurrence" data-inspection={inspection.id}>
              <span className="insp-card-line">
                <StatusLabel status={inspection.status} />
                <When ms={inspection.occurrence_at} format={format.dateTime} />
                <Link to={`/inspections/plans/${inspection.plan_id}`}>{inspection.plan_name}</Link>
              </span>
              <ul className="insp-device-items small">
                {(inspection.device_items ?? []).map((item) => (
                  <li key={item.id} data-item-status={item.status}>
                    <ItemStatusLabel status={item.status} /> {item.label}
                    {item.value !== null && item.type !== 'pass_fail' ? `: ${format.number(item.value)}` : ''}
                    {item.repair_order_id !== null ? (
                      <>
                        {' · '}
                        <Link to={`/orders/${item.repair_order_id}`}>
                          {item.repair_order_code ?? `#${item.repair_order_id}`}
                        </Link>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
              <Link className="small" to={`/inspections/tasks/${inspection.id}`}>
                {t('inspections.history.open')}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
