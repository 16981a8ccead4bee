import type { TFunction } from 'i18next';
import { TILE_ICONS, type TileState } from '../store/tile-state.js';

/** A device's state as an icon and a word (and a colour): never colour alone. */
export function StateBadge({ state, t }: { state: TileState; t: TFunction }) {
  return (
    <span
      className={`badge badge-${state}`}
      data-testid="status"
      data-state={state}
      title={t(`stateHint.${state}`)}
    >
      <span aria-hidden="true">{TILE_ICONS[state]}</span> {t(`state.${state}`)}
    </span>
  );
}
