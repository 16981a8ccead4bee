import { z } from 'zod';

/**
 * Modbus register codec shared by the gateway (decode) and the simulators (encode), so both
 * sides agree on data types, word order and scaling by construction.
 *
 * Modbus registers are 16-bit big-endian words (Modbus Application Protocol v1.1b3 §4.2).
 * Values wider than one register span consecutive registers; the order of those words is not
 * standardised, so it is configurable:
 *   word_order big    : most significant word first   (ABCD for a float32)
 *   word_order little : least significant word first  (CDAB)
 *   byte_order little : bytes swapped inside each word (BADC / DCBA)
 */
export const MODBUS_DATA_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
] as const;
export const modbusDataTypeSchema = z.enum(MODBUS_DATA_TYPES);
export type ModbusDataType = z.infer<typeof modbusDataTypeSchema>;

export const byteOrderSchema = z.enum(['big', 'little']);
export type ByteOrder = z.infer<typeof byteOrderSchema>;

export const modbusTableSchema = z.enum(['holding', 'input', 'coil', 'discrete']);
export type ModbusTable = z.infer<typeof modbusTableSchema>;

export interface RegisterCodecSpec {
  type: ModbusDataType;
  word_order?: ByteOrder;
  byte_order?: ByteOrder;
  /** engineering value = raw * scale + offset */
  scale?: number;
  offset?: number;
  /** For `bool` in a register table: the bit (0 = least significant) to read. */
  bit?: number;
}

/** How many 16-bit registers a type occupies (bits in coil/discrete tables take one each). */
export function registerCount(type: ModbusDataType): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
  }
}

/** Arranges register words into big-endian byte order (or the reverse), per the spec. */
function wordsToBytes(words: readonly number[], spec: RegisterCodecSpec): DataView {
  const ordered = spec.word_order === 'little' ? [...words].reverse() : words;
  const view = new DataView(new ArrayBuffer(ordered.length * 2));
  ordered.forEach((word, i) => {
    view.setUint16(i * 2, word & 0xffff, spec.byte_order === 'little');
  });
  return view;
}

function bytesToWords(view: DataView, spec: RegisterCodecSpec): number[] {
  const words: number[] = [];
  for (let i = 0; i < view.byteLength; i += 2) {
    words.push(view.getUint16(i, spec.byte_order === 'little'));
  }
  return spec.word_order === 'little' ? words.reverse() : words;
}

/** Raw (unscaled) value from register words. */
export function decodeRaw(words: readonly number[], spec: RegisterCodecSpec): number | boolean {
  const count = registerCount(spec.type);
  if (words.length < count) {
    throw new RangeError(`${spec.type} needs ${count} registers, got ${words.length}`);
  }
  const view = wordsToBytes(words.slice(0, count), spec);
  switch (spec.type) {
    case 'bool':
      return ((view.getUint16(0) >> (spec.bit ?? 0)) & 1) === 1;
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return view.getFloat32(0);
    case 'int64':
      return Number(view.getBigInt64(0));
    case 'uint64':
      return Number(view.getBigUint64(0));
    case 'float64':
      return view.getFloat64(0);
  }
}

/** Engineering value from register words: raw * scale + offset (booleans are not scaled). */
export function decodeRegisters(words: readonly number[], spec: RegisterCodecSpec): number | boolean {
  const raw = decodeRaw(words, spec);
  if (typeof raw === 'boolean') return raw;
  const value = raw * (spec.scale ?? 1) + (spec.offset ?? 0);
  // Keep decimal scales readable: 1234 * 0.1 gives 123.4, not 123.40000000000001.
  return spec.scale !== undefined && spec.scale !== 1 ? Number(value.toPrecision(12)) : value;
}

/**
 * Register words for an engineering value (inverse of decodeRegisters). Integers are rounded
 * and clamped to the type's range, as a device's firmware would saturate.
 */
export function encodeRegisters(value: number | boolean, spec: RegisterCodecSpec): number[] {
  if (spec.type === 'bool') {
    return [value === true || value === 1 ? 1 << (spec.bit ?? 0) : 0];
  }
  const numeric = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const raw = (numeric - (spec.offset ?? 0)) / (spec.scale ?? 1);
  const view = new DataView(new ArrayBuffer(registerCount(spec.type) * 2));
  const clampInt = (min: number, max: number) => Math.min(max, Math.max(min, Math.round(raw)));
  switch (spec.type) {
    case 'int16':
      view.setInt16(0, clampInt(-0x8000, 0x7fff));
      break;
    case 'uint16':
      view.setUint16(0, clampInt(0, 0xffff));
      break;
    case 'int32':
      view.setInt32(0, clampInt(-0x80000000, 0x7fffffff));
      break;
    case 'uint32':
      view.setUint32(0, clampInt(0, 0xffffffff));
      break;
    case 'float32':
      view.setFloat32(0, raw);
      break;
    case 'int64':
      view.setBigInt64(0, BigInt(Math.round(raw)));
      break;
    case 'uint64':
      view.setBigUint64(0, BigInt(Math.max(0, Math.round(raw))));
      break;
    case 'float64':
      view.setFloat64(0, raw);
      break;
  }
  return bytesToWords(view, spec);
}
