import type { ModbusPoint, Reading } from '@caretaker/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import type { ResolvedModbusDevice } from '../../config/resolved-config.js';
import { ReadingAccumulator } from '../../pipeline/accumulator.js';
import {
  type ModbusTestServer,
  startModbusTestServer,
  startSilentServer,
  unusedEndpoint,
} from '../../testing/modbus-test-server.js';
import { testLogger } from '../../testing/test-logger.js';
import { ModbusTcpDriver } from './modbus-tcp.driver.js';

// Known register images (Modbus registers are big-endian 16-bit words, MODBUS Application
// Protocol v1.1b3 §4.2): 123.456 as IEEE-754 float32 is 0x42F6E979; 65538 is 0x0001_0002.
const UNIT_1 = {
  holding: {
    0: 0xfffe, // int16 -2
    1: 0xffff, // uint16 65535
    2: 0x0001, // uint32 65538, big word order (ABCD)
    3: 0x0002,
    4: 0x0002, // uint32 65538, little word order (CDAB)
    5: 0x0001,
    6: 0x42f6, // float32 123.456, ABCD
    7: 0xe979,
    8: 0xe979, // float32 123.456, CDAB
    9: 0x42f6,
    10: 1234, // uint16 x 0.1 = 123.4
    // 11 is not defined: a read that spans it gets exception 2
    12: 7,
    40: 0b10, // bit 1 set
  },
  input: { 0: 0xff9c }, // int16 -100, x 0.5 + 10 = -40
  coil: { 0: true, 1: false },
  discrete: { 4: true },
};
const UNIT_2 = { holding: { 0: 2301 } };

const FLOAT = 123.456_001_281_738_28;

function device(endpoint: string, points: ModbusPoint[], overrides: Partial<ResolvedModbusDevice> = {}) {
  const [host = '', port = '0'] = endpoint.split(':');
  const resolved: ResolvedModbusDevice = {
    id: 'pump-1',
    device_type: 'pump',
    protocol: 'modbus-tcp',
    endpoint,
    host,
    port: Number(port),
    unit_id: 1,
    poll_interval_ms: 1000,
    timeout_ms: 500,
    word_order: 'big',
    byte_order: 'big',
    points,
    ...overrides,
  };
  return resolved;
}

const hr = (
  name: string,
  address: number,
  type: ModbusPoint['type'],
  extra: Partial<ModbusPoint> = {},
): ModbusPoint => ({
  name,
  table: 'holding',
  address,
  type,
  ...extra,
});

let server: ModbusTestServer;
const drivers: ModbusTcpDriver[] = [];
let clock = 1_700_000_000_000;
const now = () => clock++;

function driverFor(config: ResolvedModbusDevice): ModbusTcpDriver {
  const driver = new ModbusTcpDriver(config, {
    logger: testLogger(`test:modbus:${config.id}`),
    dataDir: '/nonexistent',
  });
  driver.init();
  drivers.push(driver);
  return driver;
}

async function gather(driver: ModbusTcpDriver): Promise<Map<string, Reading>> {
  const acc = new ReadingAccumulator(now);
  await driver.gather(acc);
  return new Map(acc.readings.map((reading) => [reading.point, reading]));
}

beforeAll(async () => {
  server = await startModbusTestServer({ 1: UNIT_1, 2: UNIT_2 });
});
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.stop()));
});
afterAll(async () => {
  await server.close();
});

describe('ModbusTcpDriver against a real Modbus/TCP server', () => {
  it('decodes every data type, word order and scaling', async () => {
    const driver = driverFor(
      device(server.endpoint, [
        hr('int16', 0, 'int16', { unit: 'bar' }),
        hr('uint16', 1, 'uint16'),
        hr('uint32_big', 2, 'uint32'),
        hr('uint32_little', 4, 'uint32', { word_order: 'little' }),
        hr('float_big', 6, 'float32'),
        hr('float_little', 8, 'float32', { word_order: 'little' }),
        hr('scaled', 10, 'uint16', { scale: 0.1, unit: 'm3/h' }),
        hr('flag', 40, 'bool', { bit: 1 }),
        { name: 'offset', table: 'input', address: 0, type: 'int16', scale: 0.5, offset: 10 },
        { name: 'running', table: 'coil', address: 0, type: 'bool' },
        { name: 'tripped', table: 'coil', address: 1, type: 'bool' },
        { name: 'door', table: 'discrete', address: 4, type: 'bool' },
      ]),
    );
    await driver.start();
    const before = clock;
    const readings = await gather(driver);

    const values = Object.fromEntries([...readings].map(([name, reading]) => [name, reading.value]));
    expect(values).toEqual({
      int16: -2,
      uint16: 65535,
      uint32_big: 65538,
      uint32_little: 65538,
      float_big: FLOAT,
      float_little: FLOAT,
      scaled: 123.4,
      flag: true,
      offset: -40,
      running: true,
      tripped: false,
      door: true,
    });
    for (const reading of readings.values()) {
      expect(reading.quality).toBe('good');
      // Stamped from the injected clock when the response arrived.
      expect(reading.ts).toBeGreaterThanOrEqual(before);
    }
    expect(readings.get('int16')?.unit).toBe('bar');
    expect(readings.get('scaled')?.unit).toBe('m3/h');
  });

  it("applies the device's word order unless the point has its own", async () => {
    const driver = driverFor(
      device(
        server.endpoint,
        [hr('device_default', 4, 'uint32'), hr('point_override', 2, 'uint32', { word_order: 'big' })],
        {
          word_order: 'little',
        },
      ),
    );
    const readings = await gather(driver);
    expect(readings.get('device_default')?.value).toBe(65538);
    expect(readings.get('point_override')?.value).toBe(65538);
  });

  it('reads two unit ids behind one port independently', async () => {
    const pump = driverFor(device(server.endpoint, [hr('uint16', 1, 'uint16')]));
    const meter = driverFor(
      device(server.endpoint, [hr('voltage', 0, 'uint16', { scale: 0.1 })], { id: 'meter-1', unit_id: 2 }),
    );
    const [a, b] = await Promise.all([gather(pump), gather(meter)]);
    expect(a.get('uint16')?.value).toBe(65535);
    expect(b.get('voltage')?.value).toBe(230.1);
  });

  it('reports an illegal address as a bad reading with the exception, the rest stays good', async () => {
    const driver = driverFor(
      device(server.endpoint, [hr('uint16', 1, 'uint16'), hr('missing', 500, 'uint16')]),
    );
    const readings = await gather(driver);
    expect(readings.get('uint16')).toMatchObject({ value: 65535, quality: 'good' });
    expect(readings.get('missing')).toMatchObject({ value: null, quality: 'bad' });
    expect(readings.get('missing')?.reason).toMatch(/^Modbus exception 2 \(illegal data address\)/);
  });

  it('falls back to one read per point when a merged read spans an undefined register', async () => {
    // 10 and 12 are merged into one read of 10..12, and 11 does not exist on this device.
    const driver = driverFor(
      device(server.endpoint, [hr('scaled', 10, 'uint16', { scale: 0.1 }), hr('twelve', 12, 'uint16')]),
    );
    expect(driver.plan).toHaveLength(1);
    const readings = await gather(driver);
    expect(readings.get('scaled')).toMatchObject({ value: 123.4, quality: 'good' });
    expect(readings.get('twelve')).toMatchObject({ value: 7, quality: 'good' });
    expect(driver.plan).toHaveLength(2);
  });

  it('fails fast on a refused endpoint and the other device keeps reading', async () => {
    const dead = driverFor(device(await unusedEndpoint(), [hr('x', 0, 'uint16')], { id: 'dead-1' }));
    const alive = driverFor(device(server.endpoint, [hr('uint16', 1, 'uint16')]));
    const [deadResult, aliveResult] = await Promise.allSettled([dead.start(), gather(alive)]);
    expect(deadResult.status).toBe('rejected');
    expect(String((deadResult as PromiseRejectedResult).reason)).toMatch(/ECONNREFUSED/);
    expect(aliveResult.status).toBe('fulfilled');
    expect((aliveResult as PromiseFulfilledResult<Map<string, Reading>>).value.get('uint16')?.value).toBe(
      65535,
    );
    // gather() connects by itself, and fails the same way.
    await expect(gather(dead)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('gives up on a device that accepts the connection but never answers', async () => {
    const silent = await startSilentServer();
    try {
      const driver = driverFor(
        device(silent.endpoint, [hr('a', 0, 'uint16'), hr('b', 200, 'uint16')], { timeout_ms: 200 }),
      );
      await driver.start();
      await expect(gather(driver)).rejects.toThrow(/timeout/);
    } finally {
      await silent.close();
    }
  });

  it('treats "gateway target device failed to respond" as no answer', async () => {
    const driver = driverFor(device(server.endpoint, [hr('x', 0, 'uint16')], { id: 'ghost', unit_id: 9 }));
    await expect(gather(driver)).rejects.toThrow(/Modbus exception 11/);
  });

  it('reconnects on the next poll after the connection drops', async () => {
    const driver = driverFor(device(server.endpoint, [hr('uint16', 1, 'uint16')]));
    expect((await gather(driver)).get('uint16')?.value).toBe(65535);
    server.dropConnections();
    // The poll that notices the drop may fail; one of the next ones must succeed again.
    let value: unknown;
    for (let attempt = 0; attempt < 3 && value === undefined; attempt++) {
      value = await gather(driver).then(
        (readings) => readings.get('uint16')?.value,
        () => undefined,
      );
    }
    expect(value).toBe(65535);
  });

  it('rejects point definitions that cannot work, at init and without I/O', () => {
    const driver = new ModbusTcpDriver(
      device('127.0.0.1:1', [
        { name: 'coil32', table: 'coil', address: 0, type: 'uint32' },
        hr('bit_on_int', 0, 'int16', { bit: 3 }),
        hr('past_end', 65535, 'float32'),
        hr('fine', 0, 'uint16'),
      ]),
      { logger: testLogger('test:modbus'), dataDir: '/nonexistent' },
    );
    let error: unknown;
    try {
      driver.init();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([
      'points.0',
      'points.1',
      'points.2',
    ]);
  });
});
