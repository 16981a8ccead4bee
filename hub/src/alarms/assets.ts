import { idSchema } from '@caretaker/protocol';
import { readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';

/**
 * Where devices are: site → building → (room →) devices, and which device feeds each building's
 * power (its power-room meter). Alarm topology uses it: a power-room trip makes the pump and
 * lift alarms of that building symptoms of one root incident; the dashboard's board groups its
 * tiles by it. `HUB_ASSETS_FILE` (YAML); without it every device stands alone.
 */
const roomSchema = z
  .object({
    id: idSchema,
    name: z.string().max(200).optional(),
    devices: z.array(idSchema).default([]),
  })
  .strict();

const buildingSchema = z
  .object({
    id: idSchema,
    name: z.string().max(200).optional(),
    /** Devices not in any room (a building's meters, or a file that keeps no rooms). */
    devices: z.array(idSchema).default([]),
    rooms: z.array(roomSchema).default([]),
  })
  .strict();

export const assetsFileSchema = z
  .object({
    sites: z.array(
      z
        .object({
          id: idSchema,
          name: z.string().max(200).optional(),
          buildings: z.array(buildingSchema),
        })
        .strict(),
    ),
  })
  .strict()
  .superRefine((file, ctx) => {
    // A device has one place: listed twice, the board and the alarm topology would disagree.
    const placed = new Map<string, string>();
    const place = (device: string, path: Array<string | number>) => {
      const where = path.join('.');
      const first = placed.get(device);
      if (first) ctx.addIssue({ code: 'custom', path, message: `${device} is already listed at ${first}` });
      else placed.set(device, where);
    };
    const unique = (ids: string[], path: Array<string | number>, what: string) => {
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i)
          ctx.addIssue({
            code: 'custom',
            path: [...path, i, 'id'],
            message: `${what} ${id} is listed twice`,
          });
      });
    };
    unique(
      file.sites.map((s) => s.id),
      ['sites'],
      'site',
    );
    file.sites.forEach((site, s) => {
      unique(
        site.buildings.map((b) => b.id),
        ['sites', s, 'buildings'],
        'building',
      );
      site.buildings.forEach((building, b) => {
        const at = ['sites', s, 'buildings', b];
        unique(
          building.rooms.map((r) => r.id),
          [...at, 'rooms'],
          'room',
        );
        for (const [d, device] of building.devices.entries()) place(device, [...at, 'devices', d]);
        for (const [r, room] of building.rooms.entries()) {
          for (const [d, device] of room.devices.entries()) place(device, [...at, 'rooms', r, 'devices', d]);
        }
      });
    });
  });
export type AssetsFile = z.infer<typeof assetsFileSchema>;
/** As written (rooms and device lists optional): what code and tests may construct by hand. */
export type AssetsFileInput = z.input<typeof assetsFileSchema>;

export interface DevicePlace {
  site: string;
  building: string;
  room: string | undefined;
}

export class AssetMap {
  private readonly places = new Map<string, DevicePlace>();
  private readonly file: AssetsFile;

  constructor(input: AssetsFileInput = { sites: [] }) {
    this.file = {
      sites: input.sites.map((site) => ({
        ...site,
        buildings: site.buildings.map((b) => ({
          ...b,
          devices: b.devices ?? [],
          rooms: (b.rooms ?? []).map((r) => ({ ...r, devices: r.devices ?? [] })),
        })),
      })),
    };
    for (const site of this.file.sites) {
      for (const b of site.buildings) {
        for (const device of b.devices)
          this.places.set(device, { site: site.id, building: b.id, room: undefined });
        for (const room of b.rooms) {
          for (const device of room.devices) {
            this.places.set(device, { site: site.id, building: b.id, room: room.id });
          }
        }
      }
    }
  }

  /** `site/building` of a device, if known (rooms do not matter to the alarm topology). */
  buildingOf(device: string): string | undefined {
    const place = this.places.get(device);
    return place ? `${place.site}/${place.building}` : undefined;
  }

  /** Site, building and room of a device, if known. */
  placeOf(device: string): DevicePlace | undefined {
    return this.places.get(device);
  }

  /** Sites → buildings → rooms → devices, for the dashboard's board (GET /api/assets). */
  get sites(): AssetsFile['sites'] {
    return this.file.sites;
  }

  static load(path: string): AssetMap {
    const source = `assets file ${path}`;
    return new AssetMap(validateFile(assetsFileSchema, readYamlFileSync(path, source), source));
  }
}
