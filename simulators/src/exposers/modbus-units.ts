import {
  encodeRegisters,
  type ModbusProfile,
  type ModbusTable,
  type RegisterCodecSpec,
  registerCount,
} from '@caretaker/protocol';
import { type CommBehaviour, HEALTHY_COMM } from '../faults/device-faults.js';
import type { DeviceModel } from '../models/model.js';
import { checkProfile } from '../profiles.js';

/** Modbus exception codes, Modbus Application Protocol v1.1b3 §7. */
export const MODBUS_EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  serverDeviceBusy: 0x06,
} as const;

/** FC03/FC04 may ask for at most 125 registers, FC01/FC02 for 2000 bits (§6.1-6.4). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

export interface ModbusUnit {
  unitId: number;
  deviceId: string;
  profile: ModbusProfile;
  model: DeviceModel;
  /** How the device answers now (communication faults); healthy when absent. */
  comm?: () => CommBehaviour;
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
  /** The refresh generation the image was encoded at. */
  generation: number;
}

/** An error that becomes a Modbus exception response carrying `modbusErrorCode`. */
export class ModbusException extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The devices behind one Modbus port or serial line, by unit id: their compiled register maps
 * and register images. Transport-free, so Modbus TCP and Modbus RTU answer alike. Images are
 * encoded lazily, at the first read after a `refresh()`: an estate of hundreds of devices only
 * pays for the ones that are polled.
 */
export class ModbusUnitMap {
  private readonly units = new Map<number, CompiledUnit>();
  private generation = 0;

  constructor(private readonly source: readonly ModbusUnit[]) {}

  /** Compiles the register maps and checks them against the models. No I/O. */
  init(): void {
    for (const unit of this.source) {
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
      this.units.set(unit.unitId, { unit, points, ranges, image: new Map(), generation: -1 });
    }
  }

  /** The models have stepped: images are re-encoded at their next read. */
  refresh(): void {
    this.generation += 1;
  }

  unitIds(): number[] {
    return [...this.units.keys()];
  }

  has(unitId: number): boolean {
    return this.units.has(unitId);
  }

  comm(unitId: number): CommBehaviour {
    return this.units.get(unitId)?.unit.comm?.() ?? HEALTHY_COMM;
  }

  /**
   * Words (or bits, as 0/1) of one read request. Throws ModbusException: illegal data value
   * for an oversized quantity, illegal data address outside the device's map or for a unit
   * that is not served.
   */
  read(table: ModbusTable, address: number, length: number, unitId: number): number[] {
    const bits = table === 'coil' || table === 'discrete';
    const max = bits ? MAX_READ_BITS : MAX_READ_REGISTERS;
    if (length < 1 || length > max) {
      throw new ModbusException(MODBUS_EXCEPTION.illegalDataValue, `quantity ${length} is not 1-${max}`);
    }
    const compiled = this.units.get(unitId);
    const range = compiled?.ranges.get(table);
    if (!compiled || !range || address < range.start || address + length > range.end) {
      throw new ModbusException(
        MODBUS_EXCEPTION.illegalDataAddress,
        `unit ${unitId} has no ${table} ${address}..${address + length - 1}`,
      );
    }
    if (compiled.generation !== this.generation) {
      compiled.image = encode(compiled);
      compiled.generation = this.generation;
    }
    const image = compiled.image.get(table);
    return Array.from({ length }, (_, i) => image?.get(address + i) ?? 0);
  }
}

function encode(compiled: CompiledUnit): Map<ModbusTable, Map<number, number>> {
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
    const words =
      typeof value === 'number' && Number.isNaN(value)
        ? invalidWords(point.spec)
        : encodeRegisters(value, point.spec);
    words.forEach((word, i) => {
      // Flags of one status word are ORed together; other points never share a register.
      const previous = point.spec.type === 'bool' ? (table.get(point.address + i) ?? 0) : 0;
      table.set(point.address + i, previous | word);
    });
  }
  return image;
}

/**
 * What a device puts in a register whose sensor has failed: NaN for floats, and for integers
 * the out-of-range value instruments use for "no valid reading" (0x8000 for int16, all ones
 * for unsigned), rather than a plausible-looking 0.
 */
function invalidWords(spec: RegisterCodecSpec): number[] {
  const raw = { ...spec, scale: 1, offset: 0 };
  switch (spec.type) {
    case 'float32':
    case 'float64':
      return encodeRegisters(Number.NaN, raw);
    case 'int16':
      return encodeRegisters(-0x8000, raw);
    case 'int32':
      return encodeRegisters(-0x80000000, raw);
    case 'int64':
      return encodeRegisters(Number.MIN_SAFE_INTEGER, raw);
    case 'uint64':
      return encodeRegisters(Number.MAX_SAFE_INTEGER, raw);
    case 'uint32':
      return encodeRegisters(0xffffffff, raw);
    default:
      return encodeRegisters(0xffff, raw);
  }
}

function width(point: CompiledPoint): number {
  return point.table === 'coil' || point.table === 'discrete' ? 1 : registerCount(point.spec.type);
}
