import type { WorkOrder } from '@caretaker/protocol';
import { useCallback } from 'react';
import { useLayout } from '../../store/hooks.js';

/**
 * Where an order is, in the names people know (the assets file's site and building names, as
 * the board shows them) rather than ids; an id the board does not know is shown as it is.
 */
export function usePlaceNames(): {
  site: (id: string) => string;
  building: (site: string, id: string) => string;
  place: (order: WorkOrder) => string;
} {
  const layout = useLayout();
  const site = useCallback((id: string) => layout.sites.find((s) => s.id === id)?.name ?? id, [layout]);
  const building = useCallback(
    (siteId: string, id: string) =>
      layout.sites.find((s) => s.id === siteId)?.buildings.find((b) => b.id === id)?.name ?? id,
    [layout],
  );
  const place = useCallback(
    (order: WorkOrder) => {
      // A sensor order names only its device: its building is where the board has the device.
      const buildingName = order.building
        ? building(order.site, order.building)
        : order.device
          ? layout.sites
              .find((s) => s.id === order.site)
              ?.buildings.find((b) => order.device !== null && b.devices.includes(order.device))?.name
          : null;
      return [order.device, buildingName, order.location].filter(Boolean).join(' · ') || site(order.site);
    },
    [building, site, layout],
  );
  return { site, building, place };
}
