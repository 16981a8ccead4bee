import type { Reading } from '@caretaker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModbusLinkConfig, ResolvedModbusDevice } from '../../config/resolved-config.js';
import { ReadingAccumulator } from '../../pipeline/accumulator.js';
import { ResourcePool } from '../../pipeline/shared-resources.js';
import { modbusDevice, modbusPoint } from '../../testing/fixtures.js';
import { type RtuTestServer, startRtuTestServer } from '../../testing/modbus-test-server.js';
import { requireBinary } from '../../testing/require-binary.js';
import { testLogger } from '../../testing/test-logger.js';
import type { RequestErrorKind } from '../driver.js';
import { ModbusDriver } from './modbus.driver.js';

const socat = requireBinary('socat', 'apt-get install socat');

const UNITS = () => ({
  1: { holding: { 0: 0x42f6, 1: 0xe979, 2: 7 } }, // float32 123.456, then 7
  2: { input: { 10: 2301 }, coil: { 0: true } },
});

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups = [];
});

function device(id: string, unit: number, link: ModbusLinkConfig, points: ResolvedModbusDevice['points']) {
  return modbusDevice('unused:1', points, {
    id,
    unit_id: unit,
    protocol: link.kind === 'rtu' ? 'modbus-rtu' : 'modbus-rtu-tcp',
    endpoint: link.kind === 'rtu' ? link.path : `${link.host}:${link.port}`,
    link,
    timeout_ms: 300,
    max_gap_registers: 12,
  });
}

/** Three devices on one line: units 1 and 2 answer, unit 3 is dead. */
function devicesOn(server: RtuTestServer, link: ModbusLinkConfig) {
  const shared = new ResourcePool();
  const errors: RequestErrorKind[] = [];
  const make = (config: ResolvedModbusDevice) => {
    const driver = new ModbusDriver(config, {
      logger: testLogger(`test:rtu:${config.id}`),
      dataDir: '/nonexistent',
      shared,
      recorder: {
        success: () => {},
        failure: (kind) => errors.push(`${config.id}:${kind}` as RequestErrorKind),
      },
    });
    driver.init();
    cleanups.push(() => driver.stop());
    return driver;
  };
  const pump = make(
    device('pump', 1, link, [modbusPoint('pressure', 0, 'float32'), modbusPoint('seven', 2)]),
  );
  const meter = make(
    device('meter', 2, link, [
      modbusPoint('voltage', 10, 'uint16', { table: 'input', scale: 0.1 }),
      modbusPoint('on', 0, 'bool', { table: 'coil' }),
    ]),
  );
  const dead = make(device('dead', 3, link, [modbusPoint('x', 0), modbusPoint('y', 100)]));
  return { pump, meter, dead, shared, errors, server };
}

async function values(driver: ModbusDriver): Promise<Record<string, Reading['value']>> {
  const acc = new ReadingAccumulator(Date.now);
  await driver.gather(acc, 0);
  return Object.fromEntries(acc.readings.map((r) => [r.point, r.value]));
}

async function sharedLineBehaviour(setup: ReturnType<typeof devicesOn>): Promise<void> {
  const { pump, meter, dead, shared, errors, server } = setup;
  // Concurrent gathers of three devices: the link runs them one transaction at a time (an RTU
  // line is half duplex; overlapping requests would garble each other).
  const [a, b, c] = await Promise.allSettled([values(pump), values(meter), values(dead)]);
  expect(a).toEqual({ status: 'fulfilled', value: { pressure: 123.456_001_281_738_28, seven: 7 } });
  expect(b).toEqual({ status: 'fulfilled', value: { voltage: 230.1, on: true } });
  expect(c.status).toBe('rejected');
  expect(shared.keys()).toHaveLength(1);
  // The dead unit cost one timeout (one request), not one per block.
  expect(server.requests.get(3)).toBe(1);
  expect(errors.filter((e) => e.startsWith('dead:'))).toEqual(['dead:timeout']);
  // And the line still works for the others afterwards.
  expect(await values(meter)).toEqual({ voltage: 230.1, on: true });
  await pump.write('seven', 9);
  expect(await pump.read('seven')).toBe(9);
}

describe.runIf(socat)('Modbus RTU', () => {
  it('over a serial line: devices share it, one transaction at a time, a dead unit stays local', async () => {
    const server = await startRtuTestServer(UNITS());
    cleanups.push(() => server.close());
    const link: ModbusLinkConfig = {
      kind: 'rtu',
      path: server.path,
      baud_rate: 19200,
      data_bits: 8,
      parity: 'none',
      stop_bits: 1,
    };
    await sharedLineBehaviour(devicesOn(server, link));
  });

  it('over TCP (a serial converter): the same, framed as RTU on the socket', async () => {
    const server = await startRtuTestServer(UNITS(), { overTcp: true });
    cleanups.push(() => server.close());
    const link: ModbusLinkConfig = { kind: 'rtu-tcp', host: '127.0.0.1', port: server.port ?? 0 };
    await sharedLineBehaviour(devicesOn(server, link));
  });
});
