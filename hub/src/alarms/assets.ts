import { idSchema } from '@caretaker/protocol';
import { readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';

/**
 * Where devices are: site → building → devices, and which device feeds each building's power
 * (its power-room meter). Alarm topology uses it: a power-room trip makes the pump and lift
 * alarms of that building symptoms of one root incident. `HUB_ASSETS_FILE` (YAML); without
 * it every device stands alone.
 */
export const assetsFileSchema = z
  .object({
    sites: z.array(
      z
        .object({
          id: idSchema,
          name: z.string().max(200).optional(),
          buildings: z.array(
            z
              .object({
                id: idSchema,
                name: z.string().max(200).optional(),
                devices: z.array(idSchema).default([]),
              })
              .strict(),
          ),
        })
        .strict(),
    ),
  })
  .strict();
export type AssetsFile = z.infer<typeof assetsFileSchema>;

export class AssetMap {
  private readonly building = new Map<string, string>();

  constructor(private readonly file: AssetsFile = { sites: [] }) {
    for (const site of file.sites) {
      for (const b of site.buildings) {
        for (const device of b.devices) this.building.set(device, `${site.id}/${b.id}`);
      }
    }
  }

  /** `site/building` of a device, if known. */
  buildingOf(device: string): string | undefined {
    return this.building.get(device);
  }

  /** Sites → buildings → devices, for the dashboard's board (GET /api/assets). */
  get sites(): AssetsFile['sites'] {
    return this.file.sites;
  }

  static load(path: string): AssetMap {
    const source = `assets file ${path}`;
    return new AssetMap(validateFile(assetsFileSchema, readYamlFileSync(path, source), source));
  }
}
