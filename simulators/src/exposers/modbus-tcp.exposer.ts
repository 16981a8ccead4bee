import net from 'node:net';
import {
  encodeRegisters,
  type ModbusProfile,
  type ModbusTable,
  type RegisterCodecSpec,
  registerCount,
} from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import { type IServiceVector, ServerTCP } from 'modbus-serial';
import type { DeviceModel } from '../models/model.js';
import { checkProfile } from '../profiles.js';

/** Modbus exception codes, Modbus Application Protocol v1.1b3 §7. */
export const MODBUS_EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
} as const;

/** FC03/FC04 may ask for at most 125 registers (MODBUS Application Protocol v1.1b3 §6.3). */
const MAX_READ_REGISTERS = 125;

export interface ModbusUnit {
  unitId: number;
  deviceId: string;
  profile: ModbusProfile;
  model: DeviceModel;
}

export interface ModbusTcpExposerOptions {
  host: string;
  /** 0 picks a free port; `start()` reports the one bound. */
  port: number;
  units: ModbusUnit[];
  logger: Logger;
}

interface CompiledPoint {
  name: string;
  table: ModbusTable;
  address: number;
  spec: RegisterCodecSpec;
}

/** One unit's register map and the image of its current values. */
interface CompiledUnit {
  unit: ModbusUnit;
  points: CompiledPoint[];
  /** Per table, the addresses [start, end) the device answers for; gaps inside read as 0. */
  ranges: Map<ModbusTable, { start: number; end: number }>;
  image: Map<ModbusTable, Map<number, number>>;
}

class ModbusException extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves several simulated devices behind one Modbus TCP port, each under its own unit id,
 * the way a serial-to-Ethernet gateway fronts a bus of RS-485 devices. Register images are
 * re-encoded from the models on `refresh()`, so a request always reads one consistent step.
 */
export class ModbusTcpExposer {
  private readonly units = new Map<number, CompiledUnit>();
  private server: ServerTCP | null = null;
  private boundPort = 0;

  constructor(private readonly options: ModbusTcpExposerOptions) {}

  /** Compiles the register maps and checks them against the models. No I/O. */
  init(): void {
    for (const unit of this.options.units) {
      if (!Number.isInteger(unit.unitId) || unit.unitId < 1 || unit.unitId > 247) {
        throw new Error(`${unit.deviceId}: unit id must be 1-247, got ${unit.unitId}`);
      }
      if (this.units.has(unit.unitId)) {
        throw new Error(`${unit.deviceId}: unit id ${unit.unitId} is already used by another device`);
      }
      const problems = checkProfile(unit.profile);
      if (problems.length > 0) throw new Error(`${unit.deviceId}: ${problems.join('; ')}`);
      const values = unit.model.values();
      const missing = unit.profile.points.filter((point) => !(point.name in values)).map((p) => p.name);
      if (missing.length > 0) {
        throw new Error(`${unit.deviceId}: the model has no value for ${missing.join(', ')}`);
      }
      const points = unit.profile.points.map(
        (point): CompiledPoint => ({
          name: point.name,
          table: point.table,
          address: point.address,
          spec: {
            type: point.type,
            word_order: point.word_order ?? unit.profile.word_order,
            byte_order: point.byte_order ?? unit.profile.byte_order,
            scale: point.scale,
            offset: point.offset,
            bit: point.bit,
          },
        }),
      );
      const ranges = new Map<ModbusTable, { start: number; end: number }>();
      for (const point of points) {
        const end = point.address + width(point);
        const range = ranges.get(point.table);
        ranges.set(
          point.table,
          range
            ? { start: Math.min(range.start, point.address), end: Math.max(range.end, end) }
            : { start: point.address, end },
        );
      }
      this.units.set(unit.unitId, { unit, points, ranges, image: new Map() });
    }
    this.refresh();
  }

  /** Re-encodes every unit's register image from its model's current values. */
  refresh(): void {
    for (const compiled of this.units.values()) {
      const values = compiled.unit.model.values();
      const image = new Map<ModbusTable, Map<number, number>>();
      for (const point of compiled.points) {
        const value = values[point.name];
        if (value === undefined) continue;
        let table = image.get(point.table);
        if (!table) {
          table = new Map();
          image.set(point.table, table);
        }
        if (point.table === 'coil' || point.table === 'discrete') {
          table.set(point.address, value === true || value === 1 ? 1 : 0);
          continue;
        }
        const words = encodeRegisters(value, point.spec);
        words.forEach((word, i) => {
          // Flags of one status word are ORed together; other points never share a register.
          const previous = point.spec.type === 'bool' ? (table.get(point.address + i) ?? 0) : 0;
          table.set(point.address + i, previous | word);
        });
      }
      compiled.image = image;
    }
  }

  /** Starts listening; resolves with the bound address once the port is open. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('the Modbus TCP server is already started');
    const { host } = this.options;
    // ServerTCP listens on `options.port || 502`, so it cannot bind port 0 itself: find a free
    // port first. Another process could take it in between; the error then says so.
    const port = this.options.port === 0 ? await freePort(host) : this.options.port;
    const server = new ServerTCP(this.vector(), { host, port, unitID: 255 });
    this.server = server;
    server.on('socketError', (err) => this.options.logger.debug({ err }, 'client socket error'));
    server.on('error', (err) => this.options.logger.warn({ err }, 'server error'));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('initialized', () => resolve());
        server.once('serverError', (err: Error) => reject(err));
      });
    } catch (err) {
      await this.stop();
      throw new Error(`cannot listen for Modbus TCP on ${host}:${port}: ${(err as Error).message}`);
    }
    // modbus-serial keeps the net.Server private (servers/servertcp.js, `_server`).
    const address = (server as unknown as { _server: net.Server })._server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
    this.options.logger.debug({ host, port: this.boundPort, units: [...this.units.keys()] }, 'listening');
    return { host, port: this.boundPort };
  }

  get port(): number {
    return this.boundPort;
  }

  /** Closes the listener and every client connection. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      // close() destroys the open sockets right after closing the listener; an error here
      // only means it was not listening (a failed start), which is what we want anyway.
      server.close(() => resolve());
    });
    server.removeAllListeners();
  }

  private vector(): IServiceVector {
    return {
      getHoldingRegister: (address: number, unitId: number) =>
        this.readRegisters('holding', address, 1, unitId)[0] ?? 0,
      getMultipleHoldingRegisters: (address: number, length: number, unitId: number) =>
        this.readRegisters('holding', address, length, unitId),
      getInputRegister: (address: number, unitId: number) =>
        this.readRegisters('input', address, 1, unitId)[0] ?? 0,
      getMultipleInputRegisters: (address: number, length: number, unitId: number) =>
        this.readRegisters('input', address, length, unitId),
      getCoil: (address: number, unitId: number) => this.readRegisters('coil', address, 1, unitId)[0] === 1,
      getDiscreteInput: (address: number, unitId: number) =>
        this.readRegisters('discrete', address, 1, unitId)[0] === 1,
      // Without these, modbus-serial would leave write requests unanswered until the client
      // times out; a read-only device answers "illegal function" at once.
      setRegister: () => {
        throw new ModbusException(MODBUS_EXCEPTION.illegalFunction, 'registers are read-only');
      },
      setRegisterArray: () => {
        throw new ModbusException(MODBUS_EXCEPTION.illegalFunction, 'registers are read-only');
      },
      setCoil: () => {
        throw new ModbusException(MODBUS_EXCEPTION.illegalFunction, 'coils are read-only');
      },
    };
  }

  /**
   * Words (or bits, as 0/1) of one request. modbus-serial turns a thrown error carrying
   * `modbusErrorCode` into an exception response with that code (servers/servertcp.js).
   */
  private readRegisters(table: ModbusTable, address: number, length: number, unitId: number): number[] {
    if (length > MAX_READ_REGISTERS) {
      throw new ModbusException(MODBUS_EXCEPTION.illegalDataValue, `quantity ${length} exceeds 125`);
    }
    const compiled = this.units.get(unitId);
    const range = compiled?.ranges.get(table);
    if (!compiled || !range || address < range.start || address + length > range.end) {
      throw new ModbusException(
        MODBUS_EXCEPTION.illegalDataAddress,
        `unit ${unitId} has no ${table} ${address}..${address + length - 1}`,
      );
    }
    const image = compiled.image.get(table);
    return Array.from({ length }, (_, i) => image?.get(address + i) ?? 0);
  }
}

function width(point: CompiledPoint): number {
  return point.table === 'coil' || point.table === 'discrete' ? 1 : registerCount(point.spec.type);
}

/** Asks the OS for a free TCP port on `host` and releases it. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
