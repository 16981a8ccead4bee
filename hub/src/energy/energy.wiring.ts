import type { Kysely } from 'kysely';
import type { AssetMap } from '../alarms/assets.js';
import type { Database } from '../db/schema.js';
import type { LiveStateService } from '../services/live-state.service.js';
import type { TimeSeriesStore } from '../storage/time-series-store.js';
import { EnergyService, type MeterInfo } from './energy.service.js';

const METER_TYPES = new Set(['power_meter', 'water_meter', 'gas_meter']);

/**
 * The meters the hub knows: every device of a meter type in live state (restored from the store
 * after a restart, so meters with history count), placed in buildings by the assets file.
 */
export function metersFrom(live: LiveStateService, assets: AssetMap): () => MeterInfo[] {
  return () => {
    const names = new Map<string, string>();
    for (const site of assets.sites) {
      if (site.name) names.set(site.id, site.name);
      for (const building of site.buildings)
        if (building.name) names.set(`${site.id}/${building.id}`, building.name);
    }
    return live
      .list()
      .filter((device) => METER_TYPES.has(device.type))
      .map((device) => {
        const placed = assets.buildingOf(device.id);
        const building = placed ? (placed.split('/')[1] ?? null) : null;
        const siteName = names.get(device.site);
        const buildingName = placed ? names.get(placed) : undefined;
        return {
          id: device.id,
          type: device.type,
          site: device.site,
          building,
          ...(siteName ? { site_name: siteName } : {}),
          ...(buildingName ? { building_name: buildingName } : {}),
        };
      });
  };
}

/** A site's time zone from the sites table (people module). */
export function siteZones(db: Kysely<Database>): (site: string) => Promise<string | undefined> {
  return async (site) =>
    (await db.selectFrom('sites').select('timezone').where('id', '=', site).executeTakeFirst())?.timezone;
}

export interface EnergyWiring {
  store: TimeSeriesStore;
  live: LiveStateService;
  assets: AssetMap;
  db: Kysely<Database>;
  now: () => number;
}

/** The energy service over the hub's store, live state, assets and sites (hub.ts mounts its routes). */
export function openEnergy({ store, live, assets, db, now }: EnergyWiring): EnergyService {
  return new EnergyService({ store, meters: metersFrom(live, assets), siteZone: siteZones(db), now });
}
