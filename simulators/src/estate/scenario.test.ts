import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDuration } from '@caretaker/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Estate } from './estate.js';
import { compileScenario, loadScenario, parseScenario, SCENARIOS_DIR } from './scenario.js';
import type { ScenarioInput } from './scenario.schema.js';

const base: ScenarioInput = {
  sites: [
    {
      id: 'north',
      buildings: [
        { id: 'b1', devices: { power_meter: true, booster_pumps: 2, elevators: 1, water_meter: true } },
        { id: 'b2', devices: { booster_pumps: 1, gas_meter: true } },
      ],
    },
    { id: 'south', buildings: [{ id: 'b3', devices: { sewage_pumps: 1 } }] },
  ],
};

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1.5h', 5_400_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['250ms', 250],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['10', '5 minutes', '-1s', ''])('%o is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('compileScenario', () => {
  const plan = compileScenario(parseScenario(base));

  it('names devices after their building, unique across the estate', () => {
    expect(plan.devices.map((d) => d.id)).toEqual([
      'b1-power-meter',
      'b1-pump-1',
      'b1-pump-2',
      'b1-water-meter',
      'b1-lift-1',
      'b2-pump-1',
      'b2-gas-meter',
      'b3-sewage-pump-1',
    ]);
    expect(plan.devices.find((d) => d.id === 'b3-sewage-pump-1')?.site).toBe('south');
  });

  it("puts each building's Modbus devices behind its own port, the meter on unit 1", () => {
    const where = Object.fromEntries(plan.devices.map((d) => [d.id, d.transport]));
    expect(where['b1-power-meter']).toEqual({ protocol: 'modbus-tcp', port: 0, unitId: 1 });
    expect(where['b1-water-meter']).toEqual({ protocol: 'modbus-tcp', port: 0, unitId: 4 });
    expect(where['b1-lift-1']).toEqual({ protocol: 'opcua' });
    expect(where['b2-pump-1']).toEqual({ protocol: 'modbus-tcp', port: 1, unitId: 1 });
    expect(where['b3-sewage-pump-1']).toEqual({ protocol: 'modbus-tcp', port: 2, unitId: 1 });
    expect(plan.tcpPorts).toBe(3);
  });

  it('opens another port past units_per_port (247 at most per port)', () => {
    const big = compileScenario(
      parseScenario({
        units_per_port: 100,
        sites: [{ id: 's', buildings: [{ id: 'big', devices: { booster_pumps: 250 } }] }],
      }),
    );
    expect(big.tcpPorts).toBe(3);
    expect(big.devices[99]?.transport).toEqual({ protocol: 'modbus-tcp', port: 0, unitId: 100 });
    expect(big.devices[100]?.transport).toEqual({ protocol: 'modbus-tcp', port: 1, unitId: 1 });
    expect(big.devices[249]?.transport).toEqual({ protocol: 'modbus-tcp', port: 2, unitId: 50 });
  });

  it('serves a building with an rtu line on that serial line', () => {
    const rtu = compileScenario(
      parseScenario({
        sites: [
          {
            id: 's',
            buildings: [
              { id: 'b9', rtu: { path: '/dev/ttyX' }, devices: { power_meter: true, booster_pumps: 1 } },
            ],
          },
        ],
      }),
    );
    expect(rtu.serialLines).toEqual([{ path: '/dev/ttyX', baudRate: 19_200 }]);
    expect(rtu.devices.map((d) => d.transport)).toEqual([
      { protocol: 'modbus-rtu', line: 0, unitId: 1 },
      { protocol: 'modbus-rtu', line: 0, unitId: 2 },
    ]);
    expect(rtu.tcpPorts).toBe(0);
  });

  it('gives every device its own seed, the same for the same scenario', () => {
    expect(new Set(plan.devices.map((d) => d.seed)).size).toBe(plan.devices.length);
    expect(compileScenario(parseScenario(base)).devices).toEqual(plan.devices);
    const other = compileScenario(parseScenario({ ...base, seed: 2 }));
    expect(other.devices.map((d) => d.seed)).not.toEqual(plan.devices.map((d) => d.seed));
  });

  it('resolves fault defaults: onset per kind, onset time = duration', () => {
    const withFaults = compileScenario(
      parseScenario({
        ...base,
        time_factor: 1000,
        faults: [
          { device: 'b1-pump-1', kind: 'bearing_wear', start: '1d', duration: '20d' },
          { device: 'b1-lift-1', kind: 'passenger_trapped', start: '2d', end: '3d' },
        ],
      }),
    );
    expect(withFaults.faults[0]).toMatchObject({
      kind: 'bearing_wear',
      onset: 'accelerating',
      startMs: 86_400_000,
      durationMs: 20 * 86_400_000,
      onsetMs: 20 * 86_400_000,
      severity: 1,
    });
    expect(withFaults.faults[1]).toMatchObject({ onset: 'step', durationMs: 86_400_000 });
  });
});

describe('scenario errors name the field', () => {
  it.each([
    ['a time factor below 1', { ...base, time_factor: 0 }, /time_factor: /],
    ['a bare number as duration', { ...base, day_length: '10' }, /day_length: must be a duration/],
    ['no site', { ...base, sites: [] }, /sites: at least one site/],
    ['an unknown key', { ...base, colour: 'red' }, /colour/],
    [
      'an unknown device kind',
      { sites: [{ id: 's', buildings: [{ id: 'b1', devices: { pumps: 2 } }] }] },
      /sites\.0\.buildings\.0\.devices: .*pumps/,
    ],
    [
      'a building id that cannot be a topic level',
      { sites: [{ id: 's', buildings: [{ id: 'b/1', devices: {} }] }] },
      /sites\.0\.buildings\.0\.id: /,
    ],
    [
      'two buildings of one id',
      {
        sites: [
          {
            id: 's',
            buildings: [
              { id: 'b1', devices: {} },
              { id: 'b1', devices: {} },
            ],
          },
        ],
      },
      /sites\.0\.buildings\.1\.id: duplicate building id "b1"/,
    ],
    [
      'an unknown fault kind',
      { ...base, faults: [{ device: 'b1-pump-1', kind: 'melt' }] },
      /faults\.0\.kind: /,
    ],
    [
      'both duration and end',
      { ...base, faults: [{ device: 'b1-pump-1', kind: 'bearing_wear', duration: '1d', end: '2d' }] },
      /faults\.0\.end: give either/,
    ],
  ])('rejects %s', (_label, data, message) => {
    expect(() => compileScenario(parseScenario(data))).toThrow(message);
  });

  it('reports every problem at once', () => {
    const error = String(
      (() => {
        try {
          parseScenario({ ...base, time_factor: -1, seed: 'x' });
        } catch (err) {
          return err;
        }
      })(),
    );
    expect(error).toMatch(/time_factor: /);
    expect(error).toMatch(/seed: /);
  });

  it('rejects a fault on a device that does not exist, or of the wrong kind for it', () => {
    expect(() =>
      compileScenario(parseScenario({ ...base, faults: [{ device: 'b9-pump-1', kind: 'clogging' }] })),
    ).toThrow(/faults\.0\.device: no device b9-pump-1/);
    const plan = compileScenario(
      parseScenario({ ...base, faults: [{ device: 'b1-water-meter', kind: 'clogging' }] }),
    );
    expect(() => new Estate(plan, { now: () => 0 })).toThrow(
      /faults\.0\.kind: clogging does not apply to b1-water-meter/,
    );
  });
});

describe('scenario files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-scenarios-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every shipped scenario validates and builds', async () => {
    const files = (await readdir(SCENARIOS_DIR)).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const plan = compileScenario(await loadScenario(path.join(SCENARIOS_DIR, file)));
      expect(() => new Estate(plan, { now: () => Date.UTC(2026, 0, 5) }), file).not.toThrow();
    }
  });

  it('names the file in its errors', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'sites:\n  - id: s\n    buildings: []\n');
    await expect(loadScenario(file)).rejects.toThrow(
      /broken\.yaml: sites\.0\.buildings: a site needs at least one building/,
    );
    await expect(loadScenario(path.join(dir, 'missing.yaml'))).rejects.toThrow(
      /missing\.yaml: file not found/,
    );
    await writeFile(file, 'sites: [\n');
    await expect(loadScenario(file)).rejects.toThrow(/broken\.yaml: invalid YAML/);
  });
});
