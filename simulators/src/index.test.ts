import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeRegisters, type ModbusProfile, registerCount, resolveNodeId } from '@caretaker/protocol';
import modbusSerial from 'modbus-serial';
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireBinary } from '../../test/support/require-binary.js';
import {
  DEFAULT_PKI_DIR,
  loadModbusProfile,
  loadOpcuaProfile,
  MODBUS_EXCEPTION,
  OPCUA_NAMESPACE_URI,
  type RunningSimulators,
  startSimulators,
} from './index.js';

// modbus-serial is CommonJS: its typings put the client class at `.default`, and the module
// sets `module.exports.default = module.exports`, so `.default` is the class at runtime too.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

const DAY_MS = 10 * 60_000;
// 08:00 on the compressed demand day: the morning peak, so the pump is certainly running.
const CLOCK_BASE = Date.UTC(2026, 0, 5) + (8 / 24) * DAY_MS;

/** Reads every point of a Modbus profile in one request per table and decodes it. */
async function readPoints(
  client: ModbusRTU,
  unitId: number,
  profile: ModbusProfile,
): Promise<Record<string, number | boolean>> {
  client.setID(unitId);
  const values: Record<string, number | boolean> = {};
  for (const table of ['holding', 'input'] as const) {
    const points = profile.points.filter((p) => p.table === table);
    if (points.length === 0) continue;
    const start = Math.min(...points.map((p) => p.address));
    const end = Math.max(...points.map((p) => p.address + registerCount(p.type)));
    // Two requests when the map is wider than one read allows (the meter's temperature).
    const words: number[] = [];
    for (let address = start; address < end; address += 125) {
      const length = Math.min(125, end - address);
      const { data } =
        table === 'holding'
          ? await client.readHoldingRegisters(address, length)
          : await client.readInputRegisters(address, length);
      words.push(...data);
    }
    for (const point of points) {
      const offset = point.address - start;
      values[point.name] = decodeRegisters(words.slice(offset, offset + registerCount(point.type)), {
        ...point,
        word_order: point.word_order ?? profile.word_order,
        byte_order: point.byte_order ?? profile.byte_order,
      });
    }
  }
  return values;
}

describe('startSimulators on real sockets', () => {
  let sims: RunningSimulators;
  const modbus = new ModbusRTU();

  beforeAll(async () => {
    vi.stubEnv('LOG_LEVEL', 'warn');
    const realStart = Date.now();
    sims = await startSimulators({
      host: '127.0.0.1',
      modbusPort: 0,
      opcuaPort: 0,
      tickMs: 100,
      now: () => CLOCK_BASE + (Date.now() - realStart),
    });
    await modbus.connectTCP('127.0.0.1', { port: sims.modbus.port });
    modbus.setTimeout(2000);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => modbus.close(() => resolve()));
    await sims?.stop();
    vi.unstubAllEnvs();
  });

  it('reports where it listens and what it serves', () => {
    expect(sims.modbus).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    expect(sims.modbus.port).toBeGreaterThan(0);
    expect(sims.opcua.endpoint).toBe(`opc.tcp://127.0.0.1:${sims.opcua.port}`);
    const modbusEndpoint = `127.0.0.1:${sims.modbus.port}`;
    expect(sims.devices.map((d) => [d.id, d.profile, d.protocol, d.unitId, d.endpoint])).toEqual([
      ['pump-1', 'pump-controller', 'modbus-tcp', 1, modbusEndpoint],
      ['meter-1', 'power-meter-3p', 'modbus-tcp', 2, modbusEndpoint],
      ['elevator-1', 'elevator-controller', 'opcua', undefined, sims.opcua.endpoint],
    ]);
    expect(sims.modbusPorts).toEqual([
      { host: '127.0.0.1', port: sims.modbus.port, devices: ['pump-1', 'meter-1'] },
    ]);
  });

  it('serves the running pump on unit 1', async () => {
    const pump = await readPoints(modbus, 1, await loadModbusProfile('pump-controller'));
    expect(pump.running).toBe(true);
    expect(pump.fault).toBe(false);
    expect(pump.flow).toBeGreaterThan(20);
    expect(pump.flow).toBeLessThan(90);
    expect(pump.outlet_pressure).toBeGreaterThan(3);
    expect(pump.outlet_pressure).toBeLessThan(8);
    expect(pump.motor_current).toBeGreaterThan(10);
    expect(pump.motor_current).toBeLessThan(21);
    expect(pump.speed).toBeGreaterThan(2900);
    expect(pump.bearing_temp).toBeGreaterThan(30);
    expect(pump.bearing_temp).toBeLessThan(75);
    expect(pump.running_hours).toBeGreaterThan(13_000);
  });

  it('serves the power meter on unit 2', async () => {
    const meter = await readPoints(modbus, 2, await loadModbusProfile('power-meter-3p'));
    for (const phase of ['voltage_l1', 'voltage_l2', 'voltage_l3']) {
      expect(meter[phase]).toBeGreaterThan(222);
      expect(meter[phase]).toBeLessThan(242);
    }
    expect(meter.current_l1).toBeGreaterThan(20);
    expect(meter.frequency).toBeGreaterThan(49.8);
    expect(meter.frequency).toBeLessThan(50.2);
    expect(meter.power_factor).toBeGreaterThan(0.85);
    expect(meter.power_factor).toBeLessThanOrEqual(1);
    // The pump's 9-10 kW are part of the metered load.
    expect(meter.active_power).toBeGreaterThan(40);
    expect(meter.import_energy).toBeGreaterThan(47_000);
    expect(meter.transformer_temp).toBeGreaterThan(30);
  });

  it('answers an address outside the map with exception 2', async () => {
    modbus.setID(1);
    const error = await modbus.readHoldingRegisters(200, 2).catch((err: { modbusCode?: number }) => err);
    expect(error).toMatchObject({ modbusCode: MODBUS_EXCEPTION.illegalDataAddress });
  });

  it('serves the lift over OPC UA in namespace 1', async () => {
    const profile = await loadOpcuaProfile('elevator-controller');
    const client = OPCUAClient.create({
      applicationName: 'caretaker-simulators-test',
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0 },
      // The client makes a certificate too: keep it beside the server's, not in ~/.config.
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: path.join(DEFAULT_PKI_DIR, 'test-client'),
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
      }),
    });
    await client.connect(sims.opcua.endpoint);
    try {
      const session = await client.createSession();
      const namespaces = await session.readNamespaceArray();
      expect(namespaces[1]).toBe(OPCUA_NAMESPACE_URI);

      const nodeIds = profile.points.map((point) => resolveNodeId(point, 'elevator-1'));
      const dataValues = await session.read(
        nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
      );
      const values: Record<string, unknown> = {};
      profile.points.forEach((point, i) => {
        const dataValue = dataValues[i];
        expect(dataValue?.statusCode, point.name).toBe(StatusCodes.Good);
        expect(dataValue?.sourceTimestamp, point.name).toBeInstanceOf(Date);
        values[point.name] = dataValue?.value.value;
      });
      expect(dataValues[profile.points.findIndex((p) => p.name === 'door_state')]?.value.dataType).toBe(
        DataType.UInt32,
      );
      expect(dataValues[profile.points.findIndex((p) => p.name === 'car_position')]?.value.dataType).toBe(
        DataType.Double,
      );
      expect(values.car_position).toBeGreaterThanOrEqual(1);
      expect(values.car_position).toBeLessThanOrEqual(18);
      expect([-1, 0, 1]).toContain(values.direction);
      expect([0, 1, 2, 3]).toContain(values.door_state);
      expect(values.door_cycles).toBeGreaterThanOrEqual(412_000);
      expect(values.alarm).toBe(false);

      // Generic clients find the unit in the EngineeringUnits property.
      const speedNode = 'ns=1;s=elevator-1.speed';
      const browsed = await session.browse({
        nodeId: speedNode,
        referenceTypeId: 'HasProperty',
        browseDirection: BrowseDirection.Forward,
        // Ask for browse names too (OPC UA Part 4 §7.3, BrowseResultMask All).
        resultMask: 0x3f,
      });
      const unitsRef = browsed.references?.find((ref) => ref.browseName.name === 'EngineeringUnits');
      expect(unitsRef).toBeDefined();
      const units = await session.read({ nodeId: unitsRef?.nodeId, attributeId: AttributeIds.Value });
      expect(units.value.value?.displayName?.text).toBe('m/s');
      await session.close();
    } finally {
      await client.disconnect();
    }
  });

  // Debian's mbpoll, a standard Modbus client: loud skip outside CI, failure under CI=true.
  describe.runIf(requireBinary('mbpoll', 'apt-get install mbpoll'))('with mbpoll', () => {
    it('polls the pump holding registers', async () => {
      const { stdout } = await promisify(execFile)(
        'mbpoll',
        ['-m', 'tcp', '-a', '1', '-r', '1', '-c', '10', '-1', '-p', String(sims.modbus.port), '127.0.0.1'],
        { timeout: 10_000 },
      );
      // mbpoll prints one "[reference]: value" line per register, references 1-based; values
      // above 32767 get their signed reading after them: "[12]: 41200 (-24336)".
      const registers = new Map<number, number>();
      for (const match of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) {
        registers.set(Number(match[1]), Number(match[2]));
      }
      expect([...registers.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Reference 1 is the status word: running, no fault.
      expect(registers.get(1)).toBe(1);
      // Reference 2 is the flow in 0.1 m3/h, reference 3 the outlet pressure in 0.01 bar.
      expect((registers.get(2) ?? 0) / 10).toBeGreaterThan(20);
      expect((registers.get(3) ?? 0) / 100).toBeGreaterThan(3);
      expect((registers.get(3) ?? 0) / 100).toBeLessThan(8);
    });
  });
});

describe('startSimulators options', () => {
  it.each([
    [{ modbusPort: 70_000 }, /modbusPort must be an integer from 0 to 65535/],
    [{ opcuaPort: -1 }, /opcuaPort must be an integer/],
    [{ modbusPort: 5555, opcuaPort: 5555 }, /must differ, both are 5555/],
    [{ pumpUnitId: 4, meterUnitId: 4 }, /pumpUnitId and meterUnitId must differ/],
    [{ tickMs: 0 }, /tickMs must be at least 10/],
    [{ dayMs: 0 }, /dayMs must be at least 1000/],
  ])('rejects %o before opening any port', async (options, message) => {
    await expect(startSimulators(options)).rejects.toThrow(message);
  });
});
