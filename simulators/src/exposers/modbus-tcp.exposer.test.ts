import net from 'node:net';
import { decodeRegisters, type ModbusProfile, modbusProfileSchema } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel } from '../testing/fake-model.js';
import { MODBUS_EXCEPTION, ModbusTcpExposer } from './modbus-tcp.exposer.js';

// modbus-serial is CommonJS: its typings put the client class at `.default`, and the module
// sets `module.exports.default = module.exports`, so `.default` is the class at runtime too.
const ModbusRTU = modbusSerial.default;

const profile: ModbusProfile = modbusProfileSchema.parse({
  profile: 'test-device',
  protocol: 'modbus',
  device_type: 'other',
  points: [
    { name: 'running', address: 0, type: 'bool', bit: 0 },
    { name: 'fault', address: 0, type: 'bool', bit: 1 },
    { name: 'level', address: 1, type: 'uint16', scale: 0.1 },
    // Address 2 is a gap: inside the map, so it reads as 0 rather than an exception.
    { name: 'total', address: 3, type: 'uint32', word_order: 'little' },
    { name: 'temp', table: 'input', address: 10, type: 'float32' },
    { name: 'pump_on', table: 'coil', address: 5, type: 'bool' },
    { name: 'door', table: 'discrete', address: 0, type: 'bool' },
  ],
});

const logger = createLogger('test:modbus');

async function expectException(promise: Promise<unknown>, code: number): Promise<void> {
  const error = (await promise.then(
    () => null,
    (err: unknown) => err,
  )) as { modbusCode?: number } | null;
  expect(error, 'expected a Modbus exception').not.toBeNull();
  expect(error?.modbusCode).toBe(code);
}

describe('ModbusTcpExposer', () => {
  const model = new FakeModel({
    running: true,
    fault: false,
    level: 12.3,
    total: 70_000,
    temp: 21.5,
    pump_on: true,
    door: false,
  });
  const exposer = new ModbusTcpExposer({
    host: '127.0.0.1',
    port: 0,
    logger,
    units: [{ unitId: 3, deviceId: 'dev-3', profile, model }],
  });
  const client = new ModbusRTU();
  let port = 0;

  beforeAll(async () => {
    exposer.init();
    ({ port } = await exposer.start());
    await client.connectTCP('127.0.0.1', { port });
    client.setTimeout(2000);
    client.setID(3);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => client.close(() => resolve()));
    await exposer.stop();
  });

  it('binds a free port when asked for port 0', () => {
    expect(port).toBeGreaterThan(0);
    expect(exposer.port).toBe(port);
  });

  it('serves holding registers encoded with the shared codec', async () => {
    const { data } = await client.readHoldingRegisters(0, 5);
    expect(data[0]).toBe(0b01);
    expect(decodeRegisters(data.slice(1, 2), { type: 'uint16', scale: 0.1 })).toBe(12.3);
    expect(data[2]).toBe(0);
    expect(decodeRegisters(data.slice(3, 5), { type: 'uint32', word_order: 'little' })).toBe(70_000);
  });

  it('serves input registers, coils and discrete inputs', async () => {
    const input = await client.readInputRegisters(10, 2);
    expect(decodeRegisters(input.data, { type: 'float32' })).toBe(21.5);
    const coils = await client.readCoils(5, 1);
    expect(coils.data[0]).toBe(true);
    const discrete = await client.readDiscreteInputs(0, 1);
    expect(discrete.data[0]).toBe(false);
  });

  it('shows new values after refresh()', async () => {
    model.current = { ...model.current, fault: true, level: 45.6 };
    exposer.refresh();
    const { data } = await client.readHoldingRegisters(0, 2);
    expect(data[0]).toBe(0b11);
    expect(data[1]).toBe(456);
  });

  it('answers "illegal data address" outside the map', async () => {
    await expectException(client.readHoldingRegisters(4, 2), MODBUS_EXCEPTION.illegalDataAddress);
    await expectException(client.readHoldingRegisters(100, 1), MODBUS_EXCEPTION.illegalDataAddress);
    await expectException(client.readInputRegisters(0, 2), MODBUS_EXCEPTION.illegalDataAddress);
    await expectException(client.readCoils(0, 1), MODBUS_EXCEPTION.illegalDataAddress);
  });

  it('answers "illegal data address" for a unit id it does not serve', async () => {
    client.setID(9);
    try {
      await expectException(client.readHoldingRegisters(0, 1), MODBUS_EXCEPTION.illegalDataAddress);
    } finally {
      client.setID(3);
    }
  });

  it('refuses writes and oversized reads with the matching exception', async () => {
    await expectException(client.writeRegister(1, 5), MODBUS_EXCEPTION.illegalFunction);
    await expectException(client.writeRegisters(1, [5, 6]), MODBUS_EXCEPTION.illegalFunction);
    await expectException(client.writeCoil(5, false), MODBUS_EXCEPTION.illegalFunction);
    await expectException(client.readHoldingRegisters(0, 126), MODBUS_EXCEPTION.illegalDataValue);
  });
});

describe('ModbusTcpExposer lifecycle', () => {
  const model = new FakeModel({
    running: true,
    fault: false,
    level: 1,
    total: 1,
    temp: 1,
    pump_on: true,
    door: true,
  });

  it('rejects a profile point the model has no value for', () => {
    const exposer = new ModbusTcpExposer({
      host: '127.0.0.1',
      port: 0,
      logger,
      units: [{ unitId: 1, deviceId: 'dev-1', profile, model: new FakeModel({ running: true }) }],
    });
    expect(() => exposer.init()).toThrow(/dev-1: the model has no value for fault, level/);
  });

  it('rejects two devices on one unit id', () => {
    const exposer = new ModbusTcpExposer({
      host: '127.0.0.1',
      port: 0,
      logger,
      units: [
        { unitId: 1, deviceId: 'a', profile, model },
        { unitId: 1, deviceId: 'b', profile, model },
      ],
    });
    expect(() => exposer.init()).toThrow(/b: unit id 1 is already used/);
  });

  it('fails to start on a port in use, naming it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const busyPort = typeof address === 'object' && address !== null ? address.port : 0;
    const exposer = new ModbusTcpExposer({
      host: '127.0.0.1',
      port: busyPort,
      logger,
      units: [{ unitId: 1, deviceId: 'a', profile, model }],
    });
    exposer.init();
    try {
      await expect(exposer.start()).rejects.toThrow(`127.0.0.1:${busyPort}`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('closes client connections on stop', async () => {
    const exposer = new ModbusTcpExposer({
      host: '127.0.0.1',
      port: 0,
      logger,
      units: [{ unitId: 1, deviceId: 'a', profile, model }],
    });
    exposer.init();
    const { port } = await exposer.start();
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await exposer.stop();
    await closed;
    await exposer.stop();
    // The port is free again.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});
