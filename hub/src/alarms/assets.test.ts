import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AssetMap } from './assets.js';

async function load(yaml: string): Promise<AssetMap> {
  const dir = await mkdtemp(join(tmpdir(), 'caretaker-assets-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'assets.yaml');
  await writeFile(file, yaml);
  return AssetMap.load(file);
}

/** The assets file: sites → buildings → rooms → devices, every mistake named by its field. */
describe('assets file', () => {
  it('places devices in rooms and directly in buildings', async () => {
    const assets = await load(`
sites:
  - id: estate
    name: Estate
    buildings:
      - id: b1
        name: Tower 1
        devices: [b1-water-meter]
        rooms:
          - { id: pump-room, name: Pump room, devices: [b1-pump-1] }
          - { id: power-room, devices: [b1-power-meter] }
      - id: b2
        devices: [b2-pump-1]
`);
    expect(assets.placeOf('b1-pump-1')).toEqual({ site: 'estate', building: 'b1', room: 'pump-room' });
    expect(assets.placeOf('b1-water-meter')).toEqual({ site: 'estate', building: 'b1', room: undefined });
    // The alarm topology works by building, rooms or not.
    expect(assets.buildingOf('b1-power-meter')).toBe('estate/b1');
    expect(assets.buildingOf('b2-pump-1')).toBe('estate/b2');
    expect(assets.sites[0]?.buildings[1]).toEqual({ id: 'b2', devices: ['b2-pump-1'], rooms: [] });
    expect(assets.sites[0]?.buildings[0]?.rooms[0]).toEqual({
      id: 'pump-room',
      name: 'Pump room',
      devices: ['b1-pump-1'],
    });
  });

  it.each([
    [
      'a room without an id',
      'sites: [{ id: s, buildings: [{ id: b, rooms: [{ name: Pump room, devices: [p1] }] }] }]',
      /assets file .*: sites\.0\.buildings\.0\.rooms\.0\.id: /,
    ],
    [
      'an unknown key in a room',
      'sites: [{ id: s, buildings: [{ id: b, rooms: [{ id: r, devices: [p1], floor: 2 }] }] }]',
      /sites\.0\.buildings\.0\.rooms\.0: .*floor/,
    ],
    [
      'a device in two places',
      'sites: [{ id: s, buildings: [{ id: b, devices: [p1], rooms: [{ id: r, devices: [p1] }] }] }]',
      /sites\.0\.buildings\.0\.rooms\.0\.devices\.0: p1 is already listed at sites\.0\.buildings\.0\.devices\.0/,
    ],
    [
      'a room listed twice',
      'sites: [{ id: s, buildings: [{ id: b, rooms: [{ id: r }, { id: r }] }] }]',
      /sites\.0\.buildings\.0\.rooms\.1\.id: room r is listed twice/,
    ],
    [
      'rooms that are not a list',
      'sites: [{ id: s, buildings: [{ id: b, rooms: pump-room }] }]',
      /sites\.0\.buildings\.0\.rooms: /,
    ],
  ])('refuses %s, naming the field', async (_what, yaml, message) => {
    await expect(load(yaml)).rejects.toThrow(message);
  });

  it('the shipped demo estate puts its pumps, meters and lifts in rooms', async () => {
    const assets = AssetMap.load(join(import.meta.dirname, '..', '..', 'config', 'demo-assets.yaml'));
    expect(assets.placeOf('b1-pump-1')?.room).toBe('b1-pump-room');
    expect(assets.placeOf('b1-power-meter')?.room).toBe('b1-power-room');
    expect(assets.placeOf('b1-lift-1')?.room).toBe('b1-lift-machine-room');
  });
});
