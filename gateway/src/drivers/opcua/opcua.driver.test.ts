import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OpcuaPoint, Reading } from '@caretaker/protocol';
import getPort from 'get-port';
import { DataType, StatusCodes } from 'node-opcua';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import type { ResolvedOpcuaDevice } from '../../config/resolved-config.js';
import { ReadingAccumulator } from '../../pipeline/accumulator.js';
import { type OpcuaTestServer, startOpcuaTestServer } from '../../testing/opcua-test-server.js';
import { testLogger } from '../../testing/test-logger.js';
import { OpcuaDriver } from './opcua.driver.js';

const SAMPLED_AT = new Date('2024-05-01T08:00:00.000Z');

let server: OpcuaTestServer;
let dataDir: string;
const drivers: OpcuaDriver[] = [];
let clock = 1_700_000_000_000;
const now = () => clock++;

const point = (name: string, unit?: string): OpcuaPoint => ({
  name,
  node_id: `ns=1;s={device}.${name}`,
  ...(unit === undefined ? {} : { unit }),
});

function driverFor(endpoint: string, points: OpcuaPoint[]): OpcuaDriver {
  const device: ResolvedOpcuaDevice = {
    id: 'elevator-1',
    device_type: 'elevator',
    protocol: 'opcua',
    endpoint,
    poll_interval_ms: 1000,
    timeout_ms: 1000,
    points,
  };
  const driver = new OpcuaDriver(device, { logger: testLogger('test:opcua:elevator-1'), dataDir });
  driver.init();
  drivers.push(driver);
  return driver;
}

async function gather(driver: OpcuaDriver): Promise<Map<string, Reading>> {
  const acc = new ReadingAccumulator(now);
  await driver.gather(acc);
  return new Map(acc.readings.map((reading) => [reading.point, reading]));
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-opcua-test-'));
  server = await startOpcuaTestServer([
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
  ]);
}, 60_000);
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.stop()));
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('OpcuaDriver against a real OPC UA server', () => {
  it('reads all nodes in one call with source timestamps and status-derived quality', async () => {
    const driver = driverFor(server.endpoint, [
      point('floor'),
      point('speed', 'm/s'),
      point('door_open'),
      point('door_cycles'),
      point('offset'),
      point('load', 'kg'),
      point('motor_temp', 'degC'),
      point('not_there'),
    ]);
    await driver.start();
    const before = clock;
    const readings = await gather(driver);

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
    // Without a source timestamp the server's (or ours) is used: never a missing ts.
    expect(readings.get('not_there')?.ts).toBeGreaterThan(0);
    expect(before).toBeGreaterThan(0);
  });

  it('follows value changes on the next poll', async () => {
    const driver = driverFor(server.endpoint, [point('speed')]);
    expect((await gather(driver)).get('speed')?.value).toBe(1.25);
    server.set('elevator-1.speed', 0.75);
    expect((await gather(driver)).get('speed')?.value).toBe(0.75);
    server.set('elevator-1.speed', 1.25);
  });

  it('fails quickly on an endpoint where nobody listens', async () => {
    const driver = driverFor(`opc.tcp://127.0.0.1:${await getPort({ host: '127.0.0.1' })}`, [point('speed')]);
    await expect(driver.start()).rejects.toThrow();
    await expect(gather(driver)).rejects.toThrow();
  });

  it('rebuilds the session after the server goes away and comes back', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    let own = await startOpcuaTestServer([{ name: 'elevator-1.floor', dataType: DataType.Int32, value: 7 }], {
      port,
    });
    try {
      const driver = driverFor(own.endpoint, [point('floor')]);
      expect((await gather(driver)).get('floor')?.value).toBe(7);
      await own.close();
      await expect(gather(driver)).rejects.toThrow();
      own = await startOpcuaTestServer([{ name: 'elevator-1.floor', dataType: DataType.Int32, value: 8 }], {
        port,
      });
      expect((await gather(driver)).get('floor')?.value).toBe(8);
    } finally {
      await own.close();
    }
  }, 60_000);

  it('rejects malformed node ids at init, without I/O', () => {
    const driver = new OpcuaDriver(
      {
        id: 'elevator-1',
        device_type: 'elevator',
        protocol: 'opcua',
        endpoint: 'opc.tcp://127.0.0.1:1',
        poll_interval_ms: 1000,
        timeout_ms: 1000,
        points: [point('fine'), { name: 'broken', node_id: 'ns=1;x=what' }],
      },
      { logger: testLogger('test:opcua'), dataDir: '/nonexistent' },
    );
    expect(() => driver.init()).toThrow(ConfigError);
  });
});
