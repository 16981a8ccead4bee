import type { LatestValue } from '@caretaker/protocol';
import type { TFunction } from 'i18next';
import { memo, useEffect, useRef } from 'react';
import { type Formatters, formatLatest } from '../i18n/format.js';
import { useLiveStore, useTileDevice } from '../store/hooks.js';
import { useBoardText } from './board-text.js';
import { pointLabel } from './point-label.js';
import { SeverityLabel } from './SeverityLabel.js';
import { Sparkline } from './Sparkline.js';
import { StateBadge } from './StateBadge.js';
import { useInView } from './use-in-view.js';

/**
 * One device on the board: its state (icon, word and colour), its worst alarm, its key values
 * with units and a sparkline each. Subscribed to its own device only: a reading for another
 * device never re-renders it.
 */
export const DeviceTile = memo(function DeviceTile({ id }: { id: string }) {
  const ref = useRef<HTMLElement>(null);
  const inView = useInView(ref);
  const view = useTileDevice(id, inView);
  const store = useLiveStore();
  const { t, format } = useBoardText();
  const keyList = view?.keys;
  // Once on screen, the sparklines fetch the minutes before the page was opened.
  useEffect(() => {
    if (inView && keyList && keyList.length > 0) store.prefillHistory(id, keyList);
  }, [inView, keyList, store, id]);
  if (!view) return null;
  const { summary, state, alarm, building, room, keys } = view;
  const titleId = `tile-${id}`;
  const end = summary.last_seen ?? 0;
  return (
    <article
      ref={ref}
      className={`tile state-${state}`}
      aria-labelledby={titleId}
      data-device={id}
      data-state={state}
    >
      <header className="tile-header">
        <h5 id={titleId}>
          {/* A plain link: the board handles its clicks (one handler, not a router hook per tile). */}
          <a href={`/devices/${encodeURIComponent(id)}`} aria-label={t('board.openDevice', { device: id })}>
            {id}
          </a>
        </h5>
        <StateBadge state={state} t={t} />
      </header>
      <p className="muted small">
        {t(`types.${summary.type}`)}
        {building ? ` · ${building.name}` : ''}
        {room ? ` · ${room.name}` : ''}
      </p>
      {alarm ? (
        <p className="tile-alarm" data-testid="tile-alarm">
          <SeverityLabel severity={alarm.severity} t={t} /> {alarm.title}
        </p>
      ) : null}
      {state === 'offline' && summary.error ? <p className="tile-error">{summary.error}</p> : null}
      {!inView ? (
        // Off screen: values are drawn when the tile scrolls into view.
        <div className="metrics-placeholder" />
      ) : keys.length === 0 ? (
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
                  <ValueText latest={latest} point={point} t={t} format={format} />
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

/** A value with its unit; the tile passes its translations (no hooks in a thousand of these). */
function ValueText({
  latest,
  point,
  t,
  format,
}: {
  latest: LatestValue;
  point: string;
  t: TFunction;
  format: Formatters;
}) {
  const numeric = typeof latest.value === 'number';
  return (
    <span className="value" data-testid={`value-${point}`} data-ts={latest.ts}>
      {formatLatest(latest, format, t('values.on'), t('values.off'))}
      {latest.unit && numeric ? <span className="unit"> {latest.unit}</span> : null}
      {latest.quality !== 'good' ? <span className="quality"> ({t(`values.${latest.quality}`)})</span> : null}
    </span>
  );
}
