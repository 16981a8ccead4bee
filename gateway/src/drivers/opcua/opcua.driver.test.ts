import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Reading } from '@caretaker/protocol';
import getPort from 'get-port';
import { DataType, StatusCodes } from 'node-opcua';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import type { ResolvedOpcuaDevice, ResolvedOpcuaPoint } from '../../config/resolved-config.js';
import { ReadingAccumulator } from '../../pipeline/accumulator.js';
import { opcuaDevice, opcuaPoint as point } from '../../testing/fixtures.js';
import {
  type OpcuaTestServer,
  startOpcuaTestServer,
  type TestVariable,
} from '../../testing/opcua-test-server.js';
import { testLogger } from '../../testing/test-logger.js';
import { OpcuaDriver } from './opcua.driver.js';

const SAMPLED_AT = new Date('2024-05-01T08:00:00.000Z');

const VARIABLES: TestVariable[] = [
  { name: 'elevator-1.floor', dataType: DataType.Int32, value: 3, sourceTimestamp: SAMPLED_AT },
  { name: 'elevator-1.speed', dataType: DataType.Double, value: 1.25 },
  { name: 'elevator-1.door_open', dataType: DataType.Boolean, value: true },
  { name: 'elevator-1.door_cycles', dataType: DataType.UInt64, value: [1, 5] }, // 2^32 + 5
  { name: 'elevator-1.offset', dataType: DataType.Int64, value: [0xffffffff, 0xfffffffe] }, // -2
  {
    name: 'elevator-1.load',
    dataType: DataType.Float,
    value: 0.5,
    statusCode: StatusCodes.UncertainLastUsableValue,
  },
  {
    name: 'elevator-1.motor_temp',
    dataType: DataType.Double,
    value: 0,
    statusCode: StatusCodes.BadSensorFailure,
  },
  { name: 'elevator-1.firmware', dataType: DataType.String, value: 'LC-4.2' },
  // Written by the command test only.
  { name: 'elevator-1.setpoint', dataType: DataType.Double, value: 0 },
  { name: 'elevator-1.enable', dataType: DataType.Boolean, value: true },
  { name: 'elevator-1.target_floor', dataType: DataType.Int32, value: 0 },
];

let server: OpcuaTestServer;
let dataDir: string;
const drivers: OpcuaDriver[] = [];
const now = () => Date.now();

function driverFor(
  endpoint: string,
  points: ResolvedOpcuaPoint[],
  overrides: Partial<ResolvedOpcuaDevice> = {},
): OpcuaDriver {
  const driver = new OpcuaDriver(opcuaDevice(endpoint, points, overrides), {
    logger: testLogger('test:opcua:elevator-1'),
    dataDir,
  });
  driver.init();
  drivers.push(driver);
  return driver;
}

async function gather(
  driver: OpcuaDriver,
): Promise<{ readings: Map<string, Reading>; texts: Map<string, string> }> {
  const acc = new ReadingAccumulator(now);
  await driver.gather(acc, 0);
  return { readings: new Map(acc.readings.map((reading) => [reading.point, reading])), texts: acc.texts };
}

/** Gathers until `done` says the collected readings are complete (subscriptions deliver asynchronously). */
async function gatherUntil(
  driver: OpcuaDriver,
  done: (readings: Map<string, Reading>) => boolean,
  timeoutMs = 10_000,
): Promise<Map<string, Reading>> {
  const all = new Map<string, Reading>();
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const { readings } = await gather(driver);
      for (const [name, reading] of readings) all.set(name, reading);
      if (done(all)) return all;
    } catch (err) {
      lastError = err; // a server coming back: the next gather rebuilds the session
    }
    if (Date.now() > deadline)
      throw new Error(`incomplete: ${[...all.keys()].join(', ')} ${String(lastError ?? '')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-opcua-test-'));
  server = await startOpcuaTestServer(VARIABLES, {
    operationLimits: { maxNodesPerRead: 3, maxMonitoredItemsPerCall: 3 },
  });
}, 60_000);
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.stop()));
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const ALL_POINTS = () => [
  point('floor'),
  point('speed', { unit: 'm/s' }),
  point('door_open'),
  point('door_cycles'),
  point('offset'),
  point('load', { unit: 'kg' }),
  point('motor_temp', { unit: 'degC' }),
  point('not_there'),
];

function expectAllValues(readings: Map<string, Reading>): void {
  expect(readings.get('floor')).toMatchObject({ value: 3, quality: 'good', ts: SAMPLED_AT.getTime() });
  expect(readings.get('speed')).toMatchObject({ value: 1.25, quality: 'good', unit: 'm/s' });
  expect(readings.get('door_open')).toMatchObject({ value: true, quality: 'good' });
  expect(readings.get('door_cycles')).toMatchObject({ value: 2 ** 32 + 5, quality: 'good' });
  expect(readings.get('offset')).toMatchObject({ value: -2, quality: 'good' });
  expect(readings.get('load')).toMatchObject({ value: 0.5, quality: 'uncertain', unit: 'kg' });
  expect(readings.get('motor_temp')).toMatchObject({
    value: null,
    quality: 'bad',
    reason: 'BadSensorFailure',
  });
  // An unknown node id spoils only its own point.
  expect(readings.get('not_there')).toMatchObject({
    value: null,
    quality: 'bad',
    reason: 'BadNodeIdUnknown',
  });
  expect(readings.get('not_there')?.ts).toBeGreaterThan(0);
}

describe('OpcuaDriver in poll mode', () => {
  it('reads within MaxNodesPerRead, with source timestamps and status-derived quality', async () => {
    const driver = driverFor(server.endpoint, ALL_POINTS());
    await driver.start();
    expect(driver.limits).toEqual({ maxNodesPerRead: 3, maxMonitoredItemsPerCall: 3 });
    // Eight nodes, at most three per Read: the server would refuse a larger call.
    expectAllValues((await gather(driver)).readings);
  });

  it('follows value changes on the next poll, and hands strings over as text', async () => {
    const driver = driverFor(server.endpoint, [point('speed'), point('firmware')]);
    const first = await gather(driver);
    expect(first.readings.get('speed')?.value).toBe(1.25);
    expect(Object.fromEntries(first.texts)).toEqual({ firmware: 'LC-4.2' });
    server.set('elevator-1.speed', 0.75);
    expect((await gather(driver)).readings.get('speed')?.value).toBe(0.75);
    server.set('elevator-1.speed', 1.25);
  });

  it("writes a value with the node's own data type and reads it back (commands)", async () => {
    const driver = driverFor(server.endpoint, [point('setpoint'), point('enable'), point('target_floor')]);
    await driver.write('setpoint', 0.5);
    expect(await driver.read('setpoint')).toBe(0.5);
    await driver.write('enable', false);
    expect(await driver.read('enable')).toBe(false);
    await driver.write('target_floor', 5);
    expect(await driver.read('target_floor')).toBe(5);
    await expect(driver.write('nope', 1)).rejects.toThrow(/no point/);
  });

  it('does not trust a source clock running ahead', async () => {
    const driver = driverFor(server.endpoint, [point('speed')]);
    server.set('elevator-1.speed', 2, StatusCodes.Good, new Date(Date.now() + 3_600_000));
    const before = Date.now();
    const reading = (await gather(driver)).readings.get('speed');
    expect(reading).toMatchObject({ value: 2, quality: 'uncertain' });
    expect(reading?.ts).toBeGreaterThanOrEqual(before - 5_000);
    expect(reading?.ts).toBeLessThanOrEqual(Date.now());
    server.set('elevator-1.speed', 1.25);
  });

  it('fails quickly on an endpoint where nobody listens', async () => {
    const driver = driverFor(`opc.tcp://127.0.0.1:${await getPort({ host: '127.0.0.1' })}`, [point('speed')]);
    await expect(driver.start()).rejects.toThrow();
    await expect(gather(driver)).rejects.toThrow();
  });

  it('rejects malformed node ids at init, without I/O', () => {
    const driver = new OpcuaDriver(
      opcuaDevice('opc.tcp://127.0.0.1:1', [point('fine'), { ...point('broken'), node_id: 'ns=1;x=what' }]),
      { logger: testLogger('test:opcua'), dataDir: '/nonexistent' },
    );
    expect(() => driver.init()).toThrow(ConfigError);
  });
});

describe('OpcuaDriver in subscription mode', () => {
  it('monitors items within MaxMonitoredItemsPerCall and reports the initial values and unknown nodes', async () => {
    const points = ALL_POINTS().map((p) => ({ ...p, poll_interval_ms: 100 }));
    const driver = driverFor(server.endpoint, points, { mode: 'subscription' });
    expect(driver.scanPeriods).toEqual([100]);
    await driver.start();
    // Eight items, at most three per CreateMonitoredItems call.
    expect(driver.createCalls).toBe(3);
    const readings = await gatherUntil(driver, (all) => all.size === 8);
    expectAllValues(readings);
  });

  it('delivers changes as they happen, each with its own source time, and nothing when nothing changed', async () => {
    const driver = driverFor(server.endpoint, [point('speed', { poll_interval_ms: 100 })], {
      mode: 'subscription',
    });
    await gatherUntil(driver, (all) => all.has('speed'));
    const t1 = new Date(Date.now() - 1000);
    const t2 = new Date(Date.now() - 500);
    server.set('elevator-1.speed', 0.5, StatusCodes.Good, t1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    server.set('elevator-1.speed', 0.25, StatusCodes.Good, t2);
    const seen: Reading[] = [];
    await gatherUntil(driver, (all) => {
      const reading = all.get('speed');
      if (reading !== undefined && !seen.includes(reading)) seen.push(reading);
      return reading?.value === 0.25;
    });
    expect(seen.map((r) => [r.value, r.ts])).toEqual([
      [0.5, t1.getTime()],
      [0.25, t2.getTime()],
    ]);
    // Unchanged: nothing new (an old value is never sent again with a new time).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await gather(driver)).readings.size).toBe(0);
    server.set('elevator-1.speed', 1.25);
  });

  it('keeps a point whose deadband filter the server refuses, without the filter', async () => {
    // A deadband on a Boolean is not allowed (OPC UA Part 4 §7.22.2): created again without it.
    const driver = driverFor(server.endpoint, [point('door_open', { deadband: 1, poll_interval_ms: 100 })], {
      mode: 'subscription',
    });
    const readings = await gatherUntil(driver, (all) => all.has('door_open'));
    expect(readings.get('door_open')).toMatchObject({ value: true, quality: 'good' });
  });

  it('rebuilds session and subscription after the server restarts', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    let own = await startOpcuaTestServer([{ name: 'elevator-1.floor', dataType: DataType.Int32, value: 7 }], {
      port,
    });
    try {
      const driver = driverFor(own.endpoint, [point('floor', { poll_interval_ms: 100 })], {
        mode: 'subscription',
      });
      expect((await gatherUntil(driver, (all) => all.has('floor'))).get('floor')?.value).toBe(7);
      expect(driver.builds).toBe(1);
      await own.close();
      // The loss is noticed (connection lost), the next gather fails while the server is away...
      await expect(
        (async () => {
          for (let i = 0; i < 100; i++) {
            await gather(driver);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })(),
      ).rejects.toThrow();
      own = await startOpcuaTestServer([{ name: 'elevator-1.floor', dataType: DataType.Int32, value: 8 }], {
        port,
      });
      // ...and once it is back, a gather rebuilds both and the new value flows.
      const readings = await gatherUntil(driver, (all) => all.get('floor')?.value === 8, 20_000);
      expect(readings.get('floor')?.value).toBe(8);
      expect(driver.builds).toBe(2);
    } finally {
      await own.close();
    }
  }, 60_000);
});
