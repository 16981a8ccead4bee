import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveNodeId } from '@caretaker/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModbusProfile, loadOpcuaProfile, loadProfile, PROFILES_DIR, profilePath } from './profiles.js';

describe('the shipped profiles', () => {
  const shipped = [
    'elevator-controller',
    'gas-meter',
    'power-meter-3p',
    'pump-controller',
    'sewage-pump-controller',
    'water-meter',
  ];

  it('are one per kind of simulated device', async () => {
    const files = (await readdir(PROFILES_DIR)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(shipped.map((name) => `${name}.yaml`));
  });

  it.each(shipped)('%s validates and is named after its file', async (name) => {
    const profile = await loadProfile(name);
    expect(profile.profile).toBe(name);
    for (const point of profile.points) {
      // Enumerations and flags have no unit; every measured quantity has one.
      const unitless = ['running', 'fault', 'leak_alarm', 'direction', 'door_state', 'alarm', 'power_factor'];
      if (!unitless.includes(point.name)) expect(point.unit, point.name).toBeTruthy();
    }
  });

  it('gives the pump the points the gateway and the detectors expect', async () => {
    const pump = await loadModbusProfile('pump-controller');
    expect(pump.device_type).toBe('pump');
    expect(pump.points.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'flow',
        'outlet_pressure',
        'motor_current',
        'vibration',
        'bearing_temp',
        'running_hours',
        'running',
        'fault',
      ]),
    );
    // mbpoll and simple pollers read the first ten holding registers in one request.
    const holding = pump.points.filter((p) => p.table === 'holding').map((p) => p.address);
    expect(Math.min(...holding)).toBe(0);
    expect(Math.max(...holding)).toBeGreaterThanOrEqual(9);
  });

  it('gives the sewage pump the booster map plus its sump level', async () => {
    const booster = await loadModbusProfile('pump-controller');
    const sewage = await loadModbusProfile('sewage-pump-controller');
    expect(sewage.points.slice(0, booster.points.length)).toEqual(
      booster.points.map((p) =>
        p.name === 'inlet_pressure' ? { ...p, description: expect.any(String) } : p,
      ),
    );
    expect(sewage.points.at(-1)).toMatchObject({ name: 'sump_level', unit: 'm' });
  });

  it.each(['water-meter', 'gas-meter'])('gives the %s a cumulative volume and a flow rate', async (name) => {
    const meter = await loadModbusProfile(name);
    expect(meter.points.map((p) => [p.name, p.unit])).toEqual([
      ['total_volume', 'm3'],
      ['flow_rate', 'm3/h'],
      ['temperature', '°C'],
    ]);
  });

  it('lays the meter out as float32 input registers', async () => {
    const meter = await loadModbusProfile('power-meter-3p');
    expect(meter.device_type).toBe('power_meter');
    for (const point of meter.points) {
      expect(point.table).toBe('input');
      expect(point.type).toBe('float32');
    }
    expect(meter.points.find((p) => p.name === 'import_energy')?.unit).toBe('kWh');
  });

  it('puts the lift nodes in namespace 1 under the device id', async () => {
    const lift = await loadOpcuaProfile('elevator-controller');
    for (const point of lift.points) {
      expect(resolveNodeId(point, 'elevator-1')).toBe(`ns=1;s=elevator-1.${point.name}`);
    }
  });
});

describe('loadProfile errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-profiles-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  it('names the file and the field of a schema error', async () => {
    const original = await readFile(profilePath('pump-controller'), 'utf8');
    const file = await write('broken-pump.yaml', original.replace('address: 2', 'address: two'));
    await expect(loadProfile(file)).rejects.toThrow(/broken-pump\.yaml: points\.4\.address: /);
  });

  it('reports every schema error at once', async () => {
    const file = await write(
      'many.yaml',
      'profile: many\nprotocol: modbus\ndevice_type: boiler\npoints:\n  - { name: x, address: -1 }\n',
    );
    const error = await loadProfile(file).catch((err: Error) => err);
    expect(String(error)).toMatch(/device_type: /);
    expect(String(error)).toMatch(/points\.0\.address: /);
  });

  it('rejects YAML that does not parse, naming the file', async () => {
    const file = await write('bad-syntax.yaml', 'profile: x\npoints: [\n');
    await expect(loadProfile(file)).rejects.toThrow(/bad-syntax\.yaml: invalid YAML/);
  });

  it('rejects duplicate point names and registers used twice', async () => {
    const file = await write(
      'overlap.yaml',
      [
        'profile: overlap',
        'protocol: modbus',
        'device_type: pump',
        'points:',
        '  - { name: a, address: 0, type: uint32 }',
        '  - { name: b, address: 1 }',
        '  - { name: a, address: 5 }',
        '  - { name: f0, address: 6, type: bool, bit: 0 }',
        '  - { name: f1, address: 6, type: bool, bit: 1 }',
      ].join('\n'),
    );
    const error = String(await loadProfile(file).catch((err: Error) => err));
    expect(error).toMatch(/points\.1\.address: holding 1 is already used by points\.0/);
    expect(error).toMatch(/points\.2\.name: duplicate point name a/);
    // Flags sharing a status word are fine.
    expect(error).not.toMatch(/points\.4/);
  });

  it('says when a profile does not exist', async () => {
    await expect(loadProfile('no-such-device')).rejects.toThrow(/no-such-device\.yaml: file not found/);
  });

  it('rejects a profile of the other protocol where one is required', async () => {
    await expect(loadModbusProfile('elevator-controller')).rejects.toThrow(/protocol: expected modbus/);
  });
});
