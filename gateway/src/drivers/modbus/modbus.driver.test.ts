import type { Reading } from '@caretaker/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import type { ResolvedModbusDevice, ResolvedModbusPoint } from '../../config/resolved-config.js';
import { ReadingAccumulator } from '../../pipeline/accumulator.js';
import { ResourcePool } from '../../pipeline/shared-resources.js';
import { modbusDevice, modbusPoint } from '../../testing/fixtures.js';
import {
  type ModbusTestServer,
  startModbusTestServer,
  startSilentServer,
  unusedEndpoint,
} from '../../testing/modbus-test-server.js';
import { testLogger } from '../../testing/test-logger.js';
import type { RequestErrorKind, SharedResources } from '../driver.js';
import { ModbusDriver } from './modbus.driver.js';

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
    50: 0x5350, // "SP-01\0" as a string of 3 registers
    51: 0x2d30,
    52: 0x3100,
    60: 0, // a setpoint, written by the tests
    61: 0,
    62: 0,
  },
  input: { 0: 0xff9c }, // int16 -100, x 0.5 + 10 = -40
  coil: { 0: true, 1: false },
  discrete: { 4: true },
};
const UNIT_2 = { holding: { 0: 2301 } };

const FLOAT = 123.456_001_281_738_28;
const hr = modbusPoint;

let server: ModbusTestServer;
const drivers: ModbusDriver[] = [];
let clock = 1_700_000_000_000;
const now = () => clock++;

function driverFor(
  config: ResolvedModbusDevice,
  extra: { shared?: SharedResources; errors?: RequestErrorKind[] } = {},
): ModbusDriver {
  const driver = new ModbusDriver(config, {
    logger: testLogger(`test:modbus:${config.id}`),
    dataDir: '/nonexistent',
    now,
    ...(extra.shared === undefined ? {} : { shared: extra.shared }),
    recorder: { success: () => {}, failure: (kind) => extra.errors?.push(kind) },
  });
  driver.init();
  drivers.push(driver);
  return driver;
}

async function gather(driver: ModbusDriver, scanClass = 0): Promise<Map<string, Reading>> {
  const acc = new ReadingAccumulator(now);
  await driver.gather(acc, scanClass);
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

describe('ModbusDriver against a real Modbus/TCP server', () => {
  it('decodes every data type, word order and scaling, in one request per table', async () => {
    const driver = driverFor(
      modbusDevice(server.endpoint, [
        hr('int16', 0, 'int16', { unit: 'bar' }),
        hr('uint16', 1, 'uint16'),
        hr('uint32_big', 2, 'uint32'),
        hr('uint32_little', 4, 'uint32', { word_order: 'little' }),
        hr('float_big', 6, 'float32'),
        hr('float_little', 8, 'float32', { word_order: 'little' }),
        hr('scaled', 10, 'uint16', { scale: 0.1, unit: 'm3/h' }),
        hr('twelve', 12, 'uint16'),
        hr('flag', 40, 'bool', { bit: 1 }),
        hr('offset', 0, 'int16', { table: 'input', scale: 0.5, offset: 10 }),
        hr('running', 0, 'bool', { table: 'coil' }),
        hr('tripped', 1, 'bool', { table: 'coil' }),
        hr('door', 4, 'bool', { table: 'discrete' }),
      ]),
    );
    // holding 0..12 and 40 (gap 27 > 10), input, coil, discrete.
    expect(driver.plan().map((b) => `${b.table} ${b.start}+${b.count}`)).toEqual([
      'coil 0+2',
      'discrete 4+1',
      'holding 0+13',
      'holding 40+1',
      'input 0+1',
    ]);
    await driver.start();
    const before = clock;
    const acc = new ReadingAccumulator(now);
    await driver.gather(acc, 0);
    const readings = new Map(acc.readings.map((reading) => [reading.point, reading]));

    const values = Object.fromEntries([...readings].map(([name, reading]) => [name, reading.value]));
    expect(values).toMatchObject({
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
      // Stamped from the injected clock when the response arrived.
      expect(reading.ts).toBeGreaterThanOrEqual(before);
    }
    expect(readings.get('int16')?.unit).toBe('bar');
    expect(readings.get('scaled')?.unit).toBe('m3/h');
    // 0..12 spans the undefined register 11: rejected once, then read as adjacent runs.
    expect(readings.get('twelve')).toMatchObject({ value: 7, quality: 'good' });
    expect(
      driver
        .plan()
        .filter((b) => b.table === 'holding')
        .map((b) => `${b.start}+${b.count}`),
    ).toEqual(['0+11', '12+1', '40+1']);
  });

  it('reads a string point and hands it over as text', async () => {
    const driver = driverFor(modbusDevice(server.endpoint, [hr('serial', 50, 'string', { length: 3 })]));
    const acc = new ReadingAccumulator(now);
    await driver.gather(acc, 0);
    expect(acc.readings).toEqual([]);
    expect(Object.fromEntries(acc.texts)).toEqual({ serial: 'SP-01' });
  });

  it('reads 60 contiguous registers in one request, and splits at the per-device cap', async () => {
    const points = Array.from({ length: 60 }, (_, i) => hr(`r${i}`, 100 + i));
    expect(driverFor(modbusDevice(server.endpoint, points)).plan()).toHaveLength(1);
    const capped = driverFor(modbusDevice(server.endpoint, points, { max_registers_per_read: 16 }));
    expect(capped.plan().map((b) => b.count)).toEqual([16, 16, 16, 12]);
  });

  it('makes one plan per scan class (poll period)', () => {
    const driver = driverFor(
      modbusDevice(server.endpoint, [
        hr('slow_a', 0, 'uint16', { poll_interval_ms: 5000 }),
        hr('fast', 1, 'uint16', { poll_interval_ms: 100 }),
        hr('slow_b', 2, 'uint16', { poll_interval_ms: 5000 }),
      ]),
    );
    expect(driver.scanPeriods).toEqual([100, 5000]);
    expect(driver.plan(0).flatMap((b) => b.points.map((p) => p.name))).toEqual(['fast']);
    expect(driver.plan(1).map((b) => `${b.start}+${b.count}`)).toEqual(['0+3']);
  });

  it('reads two unit ids behind one port independently', async () => {
    const pump = driverFor(modbusDevice(server.endpoint, [hr('uint16', 1, 'uint16')]));
    const meter = driverFor(
      modbusDevice(server.endpoint, [hr('voltage', 0, 'uint16', { scale: 0.1 })], {
        id: 'meter-1',
        unit_id: 2,
      }),
    );
    const [a, b] = await Promise.all([gather(pump), gather(meter)]);
    expect(a.get('uint16')?.value).toBe(65535);
    expect(b.get('voltage')?.value).toBe(230.1);
  });

  it('reports an illegal address as a bad reading with the exception, the rest stays good', async () => {
    const errors: RequestErrorKind[] = [];
    const driver = driverFor(
      modbusDevice(server.endpoint, [hr('uint16', 1, 'uint16'), hr('missing', 500, 'uint16')]),
      {
        errors,
      },
    );
    const readings = await gather(driver);
    expect(readings.get('uint16')).toMatchObject({ value: 65535, quality: 'good' });
    expect(readings.get('missing')).toMatchObject({ value: null, quality: 'bad' });
    expect(readings.get('missing')?.reason).toMatch(/^Modbus exception 2 \(illegal data address\)/);
    expect(errors).toContain('exception');
  });

  it('falls back to adjacent runs, then single reads, when joined reads are rejected', async () => {
    // 10 and 12 are joined into one read of 10..12, and 11 does not exist on this device.
    const driver = driverFor(
      modbusDevice(server.endpoint, [hr('scaled', 10, 'uint16', { scale: 0.1 }), hr('twelve', 12, 'uint16')]),
    );
    expect(driver.plan()).toHaveLength(1);
    const readings = await gather(driver);
    expect(readings.get('scaled')).toMatchObject({ value: 123.4, quality: 'good' });
    expect(readings.get('twelve')).toMatchObject({ value: 7, quality: 'good' });
    expect(driver.plan().map((b) => `${b.start}+${b.count}`)).toEqual(['10+1', '12+1']);
  });

  it('fails fast on a refused endpoint and the other device keeps reading', async () => {
    const errors: RequestErrorKind[] = [];
    const dead = driverFor(modbusDevice(await unusedEndpoint(), [hr('x', 0, 'uint16')], { id: 'dead-1' }), {
      errors,
    });
    const alive = driverFor(modbusDevice(server.endpoint, [hr('uint16', 1, 'uint16')]));
    const [deadResult, aliveResult] = await Promise.allSettled([dead.start(), gather(alive)]);
    expect(deadResult.status).toBe('rejected');
    expect(String((deadResult as PromiseRejectedResult).reason)).toMatch(/ECONNREFUSED/);
    expect(aliveResult.status).toBe('fulfilled');
    expect((aliveResult as PromiseFulfilledResult<Map<string, Reading>>).value.get('uint16')?.value).toBe(
      65535,
    );
    // gather() connects by itself, and fails the same way.
    await expect(gather(dead)).rejects.toThrow(/ECONNREFUSED/);
    expect(errors).toContain('connection');
  });

  it('gives up after one timeout per poll on a device that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const errors: RequestErrorKind[] = [];
      const driver = driverFor(
        modbusDevice(
          silent.endpoint,
          [hr('a', 0, 'uint16'), hr('b', 200, 'uint16'), hr('c', 400, 'uint16')],
          {
            timeout_ms: 200,
          },
        ),
        { errors },
      );
      await driver.start();
      await expect(gather(driver)).rejects.toThrow(/timeout/);
      // Three blocks, one timeout: the poll is abandoned after the first unanswered request.
      expect(errors).toEqual(['timeout']);
    } finally {
      await silent.close();
    }
  });

  it('treats "gateway target device failed to respond" as no answer', async () => {
    const driver = driverFor(
      modbusDevice(server.endpoint, [hr('x', 0, 'uint16')], { id: 'ghost', unit_id: 9 }),
    );
    await expect(gather(driver)).rejects.toThrow(/Modbus exception 11/);
  });

  it('reconnects on the next poll after the connection drops', async () => {
    const driver = driverFor(modbusDevice(server.endpoint, [hr('uint16', 1, 'uint16')]));
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

  it('writes coils, registers, multi-register values and bits, and reads them back', async () => {
    const driver = driverFor(
      modbusDevice(server.endpoint, [
        hr('run', 1, 'bool', { table: 'coil' }),
        hr('setpoint', 60, 'uint16', { scale: 0.1 }),
        hr('limit', 61, 'float32'),
        hr('reset', 40, 'bool', { bit: 3 }),
      ]),
    );
    await driver.write('run', true);
    expect(UNIT_1.coil[1]).toBe(true);
    expect(await driver.read('run')).toBe(true);
    await driver.write('setpoint', 42.5);
    expect(UNIT_1.holding[60]).toBe(425);
    expect(await driver.read('setpoint')).toBe(42.5);
    await driver.write('limit', 7.25);
    expect(await driver.read('limit')).toBe(7.25);
    await driver.write('reset', true);
    // Bit 3 set, bit 1 untouched (read-modify-write).
    expect(UNIT_1.holding[40]).toBe(0b1010);
    await driver.write('reset', false);
    expect(UNIT_1.holding[40]).toBe(0b10);
    await expect(driver.write('nope', 1)).rejects.toThrow(/no point/);
  });

  it('rejects point definitions that cannot work, at init and without I/O', () => {
    const points: ResolvedModbusPoint[] = [
      hr('coil32', 0, 'uint32', { table: 'coil' }),
      hr('bit_on_int', 0, 'int16', { bit: 3 }),
      hr('past_end', 65535, 'float32'),
      hr('fine', 0, 'uint16'),
    ];
    const driver = new ModbusDriver(modbusDevice('127.0.0.1:1', points), {
      logger: testLogger('test:modbus'),
      dataDir: '/nonexistent',
    });
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

describe('ModbusDriver connections', () => {
  it('gives each Modbus/TCP device its own connection, so devices run in parallel', async () => {
    const slow = await startModbusTestServer({ 1: UNIT_1, 2: UNIT_2 }, { delayMs: { 1: 150, 2: 150 } });
    const shared = new ResourcePool();
    try {
      const a = driverFor(modbusDevice(slow.endpoint, [hr('x', 1, 'uint16')], { id: 'a' }), { shared });
      const b = driverFor(modbusDevice(slow.endpoint, [hr('y', 0, 'uint16')], { id: 'b', unit_id: 2 }), {
        shared,
      });
      await Promise.all([a.start(), b.start()]);
      await Promise.all([gather(a), gather(b)]);
      expect(shared.keys()).toHaveLength(2);
      expect(slow.maxConcurrent).toBe(2);
    } finally {
      await slow.close();
    }
  });
});
