import { type MouseEvent, memo, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { AlarmList } from '../components/AlarmList.js';
import { BoardTextContext } from '../components/board-text.js';
import { DeviceTile } from '../components/DeviceTile.js';
import { useInView } from '../components/use-in-view.js';
import { useTitle } from '../components/use-title.js';
import { useFormat } from '../i18n/format.js';
import { useLayout } from '../store/hooks.js';
import type { BoardLayout } from '../store/live-store.js';

/**
 * The wall screen: sites → buildings → device tiles, and the active alarms beside them. The page
 * re-renders only when the layout changes (a device appears, moves or changes state); values
 * reach the tiles through their own subscriptions.
 */
export function BoardPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const text = useMemo(() => ({ t, format }), [t, format]);
  const layout = useLayout();
  const navigate = useNavigate();
  useTitle(t('board.title'));
  const { counts } = layout;
  // Tiles link with plain anchors; a plain click opens the page in the app (others: new tab etc.).
  const followLink = (event: MouseEvent) => {
    const link = (event.target as Element).closest('a');
    const href = link?.getAttribute('href');
    if (!href?.startsWith('/') || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
      return;
    event.preventDefault();
    void navigate(href);
  };
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: delegates the links' own clicks (Enter on a link clicks it)
    <div className="board-page" onClick={followLink}>
      <section className="board-main" aria-labelledby="board-title">
        <div className="page-head">
          <h1 id="board-title">{t('board.title')}</h1>
          <p className="muted" data-testid="board-summary" data-total={counts.total}>
            {t('board.summary', {
              total: counts.total,
              alarm: counts.alarm,
              warning: counts.warning,
              offline: counts.offline,
            })}
          </p>
        </div>
        {counts.total === 0 ? (
          <p className="muted">{t('board.empty')}</p>
        ) : (
          <BoardTextContext.Provider value={text}>
            <Sites sites={layout.sites} />
          </BoardTextContext.Provider>
        )}
      </section>
      <aside className="board-alarms" aria-labelledby="alarms-title">
        <h2 id="alarms-title">{t('alarms.active')}</h2>
        <AlarmList limit={30} />
      </aside>
    </div>
  );
}

const Sites = memo(function Sites({ sites }: { sites: BoardLayout['sites'] }) {
  const { t } = useTranslation();
  return sites.map((site) => (
    <section key={site.id} className="site" aria-labelledby={`site-${site.id}`}>
      <h2 id={`site-${site.id}`}>{site.name}</h2>
      {site.buildings.map((building) => (
        <Building
          key={building.id ?? ''}
          name={building.name ?? t('board.unassigned')}
          rooms={building.rooms}
          count={building.devices.length}
          label={t('board.equipment', { name: building.name ?? t('board.unassigned') })}
        />
      ))}
    </section>
  ));
});

/**
 * A building's tiles, created when the building first comes near the screen (and kept): the
 * first screen of a thousand-device board mounts the tiles it shows, not all of them.
 */
const Building = memo(function Building({
  name,
  rooms,
  count,
  label,
}: {
  name: string;
  rooms: BoardLayout['sites'][number]['buildings'][number]['rooms'];
  count: number;
  label: string;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLElement>(null);
  const near = useInView(ref);
  const [seen, setSeen] = useState(false);
  if (near && !seen) setSeen(true);
  return (
    <section ref={ref} className="building" aria-label={label}>
      <h3>{name}</h3>
      {seen ? (
        rooms.map((room) =>
          room.id === null ? (
            // Devices in no room stand directly under the building.
            <div key="" className="tiles">
              {room.devices.map((id) => (
                <DeviceTile key={id} id={id} />
              ))}
            </div>
          ) : (
            <section
              key={room.id}
              className="room"
              aria-label={t('board.roomEquipment', { room: room.name ?? room.id, building: name })}
              data-room={room.id}
            >
              <h4 className="room-title">{room.name ?? room.id}</h4>
              <div className="tiles">
                {room.devices.map((id) => (
                  <DeviceTile key={id} id={id} />
                ))}
              </div>
            </section>
          ),
        )
      ) : (
        // About the height the tiles will take (four to a row), so the page does not jump much.
        <div
          className="tiles-placeholder"
          style={{ height: `${Math.ceil(count / 4) * 12.6 + rooms.length * 1.8}rem` }}
        />
      )}
    </section>
  );
});
