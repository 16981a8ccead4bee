import type { LatestValue } from '@caretaker/protocol';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatLatest, useFormat } from '../i18n/format.js';
import { useDevice, useLiveStore } from '../store/hooks.js';
import { pointLabel } from './point-label.js';
import { SeverityLabel } from './SeverityLabel.js';
import { Sparkline } from './Sparkline.js';
import { StateBadge } from './StateBadge.js';

/**
 * One device on the board: its state (icon, word and colour), its worst alarm, its key values
 * with units and a sparkline each. Subscribed to its own device only: a reading for another
 * device never re-renders it.
 */
export const DeviceTile = memo(function DeviceTile({ id }: { id: string }) {
  const view = useDevice(id);
  const store = useLiveStore();
  const { t } = useTranslation();
  if (!view) return null;
  const { summary, state, alarm, building, keys } = view;
  const titleId = `tile-${id}`;
  const end = summary.last_seen ?? 0;
  return (
    <article className={`tile state-${state}`} aria-labelledby={titleId} data-device={id} data-state={state}>
      <header className="tile-header">
        <h4 id={titleId}>
          <Link to={`/devices/${encodeURIComponent(id)}`} aria-label={t('board.openDevice', { device: id })}>
            {id}
          </Link>
        </h4>
        <StateBadge state={state} />
      </header>
      <p className="muted small">
        {t(`types.${summary.type}`)}
        {building ? ` · ${building.name}` : ''}
      </p>
      {alarm ? (
        <p className="tile-alarm" data-testid="tile-alarm">
          <SeverityLabel severity={alarm.severity} /> {alarm.title}
        </p>
      ) : null}
      {state === 'offline' && summary.error ? <p className="tile-error">{summary.error}</p> : null}
      {keys.length === 0 ? (
        <p className="muted small">{t('board.noValues')}</p>
      ) : (
        <dl className="metrics">
          {keys.map((point) => {
            const latest = summary.latest[point];
            if (!latest) return null;
            const label = pointLabel(t, point);
            return (
              <div key={point} className={`metric quality-${latest.quality}${latest.stale ? ' stale' : ''}`}>
                {/* Long point names: the cell shows what fits, the title the whole name. */}
                <dt title={label}>{label}</dt>
                <dd>
                  <ValueText latest={latest} point={point} />
                  <Sparkline
                    series={store.history.series(id, point, end)}
                    windowMs={store.history.windowMs}
                  />
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </article>
  );
});

function ValueText({ latest, point }: { latest: LatestValue; point: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const numeric = typeof latest.value === 'number';
  return (
    <span className="value" data-testid={`value-${point}`} data-ts={latest.ts}>
      {formatLatest(latest, format, t('values.on'), t('values.off'))}
      {latest.unit && numeric ? <span className="unit"> {latest.unit}</span> : null}
      {latest.quality !== 'good' ? <span className="quality"> ({t(`values.${latest.quality}`)})</span> : null}
    </span>
  );
}
