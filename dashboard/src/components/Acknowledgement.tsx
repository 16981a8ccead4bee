import { type AcknowledgeResponse, type AlarmSummary, apiPaths } from '@caretaker/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client.js';
import { useCan } from '../auth/permissions.js';
import { useFormat } from '../i18n/format.js';
import { useLiveStore } from '../store/hooks.js';
// The board's, banner's and device page's styles: this component is in the first bundle with them.
import './board.css';

/**
 * An alarm's acknowledgement: who and when once a person has acknowledged it (every screen
 * shows it, from the hub), else the Acknowledge button for those whose role may press it. The
 * hub records it and tells every screen; this one shows the answer at once.
 */
export function Acknowledgement({ alarm, className }: { alarm: AlarmSummary; className?: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const can = useCan();
  const store = useLiveStore();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ack = alarm.acknowledged;
  if (ack) {
    return (
      <p className={`acknowledged ${className ?? ''}`} data-testid="acknowledged">
        <span aria-hidden="true">✓ </span>
        <time dateTime={new Date(ack.at).toISOString()} title={format.dateTime(ack.at)}>
          {t('trapped.acknowledged', { name: ack.by_name, time: format.time(ack.at) })}
        </time>
      </p>
    );
  }
  if (!can('alarms.acknowledge')) {
    return (
      <p className={`unacknowledged ${className ?? ''}`} data-testid="unacknowledged">
        {t('alarms.notAcknowledged')}
      </p>
    );
  }
  const acknowledge = () => {
    setBusy(true);
    setError(null);
    request<AcknowledgeResponse>(apiPaths.acknowledge(alarm.id), { method: 'POST' })
      .then((res) => store.updateAlarm(res.alarm))
      .catch((err: Error) => setError(err.message))
      .finally(() => setBusy(false));
  };
  return (
    <div className={`ack-row ${className ?? ''}`}>
      <button
        type="button"
        className="ack"
        disabled={busy}
        onClick={acknowledge}
        data-testid="acknowledge"
        aria-label={t('alarms.acknowledgeAlarm', {
          title: alarm.title,
          device: alarm.device ?? alarm.gateway ?? '',
        })}
      >
        {t('trapped.acknowledge')}
      </button>
      {error ? (
        <span className="error small" role="alert">
          {t('alarms.acknowledgeFailed', { error })}
        </span>
      ) : null}
    </div>
  );
}
