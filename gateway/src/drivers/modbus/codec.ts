import { type ByteOrder, encodeRegisters, registerCount } from '@caretaker/protocol';
import type { ModbusPointType } from '../../config/resolved-config.js';

/**
 * Decoding of one point's registers: the shared register codec of `@caretaker/protocol` (every
 * numeric type, both word orders and both byte orders, scale and offset) plus strings, which only
 * the gateway reads.
 */
export interface PointCodec {
  type: ModbusPointType;
  /** Registers of a string. */
  length?: number;
  word_order: ByteOrder;
  byte_order: ByteOrder;
  scale?: number;
  offset?: number;
  bit?: number;
}

/** Registers a value of this type occupies. */
export function registersOf(point: { type: ModbusPointType; length?: number }): number {
  return point.type === 'string' ? (point.length ?? 1) : registerCount(point.type);
}

/**
 * Text from registers, two characters per register, first character in the high byte (the usual
 * layout; `byte_order: little` swaps them). Stops at the first NUL; trailing spaces are padding.
 */
export function decodeString(words: readonly number[], byteOrder: ByteOrder = 'big'): string {
  const bytes: number[] = [];
  for (const word of words) {
    const high = (word >> 8) & 0xff;
    const low = word & 0xff;
    if (byteOrder === 'little') bytes.push(low, high);
    else bytes.push(high, low);
  }
  const end = bytes.indexOf(0);
  const text = new TextDecoder('utf-8').decode(Uint8Array.from(end < 0 ? bytes : bytes.slice(0, end)));
  return text.replace(/\s+$/, '');
}

// One scratch buffer for every decode: the gateway decodes tens of thousands of values a second,
// and an ArrayBuffer per value (what a general codec allocates) keeps the garbage collector busy.
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Raw value from the registers at `offset` (no copy of the response), in the point's word and
 * byte order: the same arithmetic as `decodeRaw` in @caretaker/protocol, which the tests hold it
 * to, without allocating.
 */
function decodeRawAt(words: readonly number[], offset: number, point: PointCodec): number | boolean {
  const count = registersOf(point);
  if (words.length - offset < count)
    throw new RangeError(`${point.type} needs ${count} registers, got ${Math.max(0, words.length - offset)}`);
  const swap = point.byte_order === 'little';
  for (let i = 0; i < count; i++) {
    const word = words[offset + (point.word_order === 'little' ? count - 1 - i : i)] ?? 0;
    scratch.setUint16(i * 2, word & 0xffff, swap);
  }
  switch (point.type) {
    case 'bool':
      return ((scratch.getUint16(0) >> (point.bit ?? 0)) & 1) === 1;
    case 'int16':
      return scratch.getInt16(0);
    case 'uint16':
      return scratch.getUint16(0);
    case 'int32':
      return scratch.getInt32(0);
    case 'uint32':
      return scratch.getUint32(0);
    case 'float32':
      return scratch.getFloat32(0);
    case 'int64':
      return Number(scratch.getBigInt64(0));
    case 'uint64':
      return Number(scratch.getBigUint64(0));
    case 'float64':
      return scratch.getFloat64(0);
    default:
      throw new TypeError(`not a numeric type: ${point.type}`);
  }
}

/** The point's value from a response's registers, starting at `offset`. */
export function decodePoint(
  words: readonly number[],
  point: PointCodec,
  offset = 0,
): number | boolean | string {
  if (point.type === 'string') {
    const length = registersOf(point);
    if (words.length - offset < length)
      throw new RangeError(`string needs ${length} registers, got ${words.length - offset}`);
    return decodeString(words.slice(offset, offset + length), point.byte_order);
  }
  const raw = decodeRawAt(words, offset, point);
  if (typeof raw === 'boolean') return raw;
  if (point.scale === undefined && point.offset === undefined) return raw;
  const value = raw * (point.scale ?? 1) + (point.offset ?? 0);
  // Keep decimal scales readable: 1234 * 0.1 gives 123.4, not 123.40000000000001 (as the protocol codec).
  return point.scale !== undefined && point.scale !== 1 ? Number(value.toPrecision(12)) : value;
}

/** Register words for an engineering value (the inverse of decodePoint; not for strings). */
export function encodePoint(value: number | boolean, point: PointCodec): number[] {
  if (point.type === 'string') throw new TypeError('strings cannot be written');
  return encodeRegisters(value, {
    type: point.type,
    word_order: point.word_order,
    byte_order: point.byte_order,
    ...(point.scale === undefined ? {} : { scale: point.scale }),
    ...(point.offset === undefined ? {} : { offset: point.offset }),
    ...(point.bit === undefined ? {} : { bit: point.bit }),
  });
}
