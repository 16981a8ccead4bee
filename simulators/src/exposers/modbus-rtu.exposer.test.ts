import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { decodeRegisters, type ModbusProfile, modbusProfileSchema } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../../test/support/require-binary.js';
import type { CommBehaviour } from '../faults/device-faults.js';
import { FakeModel } from '../testing/fake-model.js';
import { openPtyPair, type PtyPair } from '../testing/pty-pair.js';
import { ModbusRtuExposer } from './modbus-rtu.exposer.js';
import { MODBUS_EXCEPTION } from './modbus-units.js';

const ModbusRTU = modbusSerial.default;
const crc16 = createRequire(import.meta.url)('modbus-serial/utils/crc16.js') as (
  buffer: Uint8Array,
) => number;

const profile: ModbusProfile = modbusProfileSchema.parse({
  profile: 'rtu-test',
  protocol: 'modbus',
  device_type: 'other',
  points: [
    { name: 'running', address: 0, type: 'bool', bit: 0 },
    { name: 'level', address: 1, type: 'uint16', scale: 0.1 },
    { name: 'temp', table: 'input', address: 0, type: 'float32' },
  ],
});

// Debian's socat makes the pseudo-terminal pair; missing socat: loud skip, failure under CI.
describe.runIf(requireBinary('socat', 'apt-get install socat'))(
  'ModbusRtuExposer over a socat pty pair',
  () => {
    let pty: PtyPair;
    let exposer: ModbusRtuExposer;
    const model = new FakeModel({ running: true, level: 12.3, temp: 21.5 });
    let comm: CommBehaviour = { respond: true, delayMs: 0, exceptionCode: null };
    const client = new ModbusRTU();

    beforeAll(async () => {
      pty = await openPtyPair();
      exposer = new ModbusRtuExposer({
        path: pty.a,
        baudRate: 19_200,
        logger: createLogger('test:rtu'),
        units: [
          { unitId: 5, deviceId: 'dev-5', profile, model, comm: () => comm },
          {
            unitId: 6,
            deviceId: 'dev-6',
            profile,
            model: new FakeModel({ running: false, level: 1, temp: 2 }),
          },
        ],
      });
      exposer.init();
      await exposer.start();
      await client.connectRTUBuffered(pty.b, { baudRate: 19_200 });
      client.setTimeout(1_000);
    });

    afterAll(async () => {
      if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
      await exposer?.stop();
      await pty?.close();
    });

    it('answers holding and input registers per unit id with the shared codec', async () => {
      client.setID(5);
      const holding = await client.readHoldingRegisters(0, 2);
      expect(holding.data).toEqual([1, 123]);
      const input = await client.readInputRegisters(0, 2);
      expect(decodeRegisters(input.data, { type: 'float32' })).toBe(21.5);
      client.setID(6);
      expect((await client.readHoldingRegisters(0, 2)).data).toEqual([0, 10]);
    });

    it('answers exceptions like the TCP server: outside the map, writes', async () => {
      client.setID(5);
      const outside = await client.readHoldingRegisters(50, 1).catch((err: { modbusCode?: number }) => err);
      expect(outside).toMatchObject({ modbusCode: MODBUS_EXCEPTION.illegalDataAddress });
      const write = await client.writeRegister(1, 7).catch((err: { modbusCode?: number }) => err);
      expect(write).toMatchObject({ modbusCode: MODBUS_EXCEPTION.illegalFunction });
    });

    it('stays silent for a unit that is not on the line, and for a bad CRC', async () => {
      client.setID(9);
      await expect(client.readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/i);
      const before = exposer.droppedFrames;
      // A valid FC03 request for unit 5 whose CRC is wrong: no answer, counted as dropped.
      const frame = Buffer.from([0x05, 0x03, 0x00, 0x00, 0x00, 0x01, 0, 0]);
      frame.writeUInt16LE(crc16(frame.subarray(0, 6)) ^ 0xffff, 6);
      const port = (client as unknown as { _port: { write(b: Buffer): void } })._port;
      port.write(frame);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(exposer.droppedFrames).toBe(before + 1);
      // The same frame with its right CRC is answered.
      client.setID(5);
      expect((await client.readHoldingRegisters(0, 1)).data).toEqual([1]);
    });

    it('plays communication faults: exception codes, late answers, silence', async () => {
      client.setID(5);
      comm = { respond: true, delayMs: 0, exceptionCode: 6 };
      const busy = await client.readHoldingRegisters(0, 1).catch((err: { modbusCode?: number }) => err);
      expect(busy).toMatchObject({ modbusCode: 6 });
      comm = { respond: true, delayMs: 300, exceptionCode: null };
      const started = performance.now();
      await client.readHoldingRegisters(0, 1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      comm = { respond: false, delayMs: 0, exceptionCode: null };
      await expect(client.readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/i);
      comm = { respond: true, delayMs: 0, exceptionCode: null };
    });

    describe.runIf(requireBinary('mbpoll', 'apt-get install mbpoll'))('with mbpoll -m rtu', () => {
      it('polls unit 5 through the other end of the pty', async () => {
        // mbpoll and our client would share the pty end; close ours first.
        await new Promise<void>((resolve) => client.close(() => resolve()));
        const { stdout } = await promisify(execFile)(
          'mbpoll',
          ['-m', 'rtu', '-b', '19200', '-P', 'none', '-a', '5', '-r', '1', '-c', '2', '-1', pty.b],
          { timeout: 10_000 },
        );
        expect(stdout).toMatch(/^\[1\]:\s+1$/m);
        expect(stdout).toMatch(/^\[2\]:\s+123$/m);
      });
    });
  },
);
