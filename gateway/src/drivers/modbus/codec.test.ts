import { describe, expect, it } from 'vitest';
import { decodePoint, decodeString, encodePoint, type PointCodec, registersOf } from './codec.js';

const spec = (extra: Partial<PointCodec>): PointCodec => ({
  type: 'uint16',
  word_order: 'big',
  byte_order: 'big',
  ...extra,
});

// 1234567890123 = 0x0000_011F_71FB_04CB; -2 as int64 = 0xFFFF_FFFF_FFFF_FFFE.
const BIG = [0x0000, 0x011f, 0x71fb, 0x04cb];
const swapBytes = (words: number[]) => words.map((w) => ((w & 0xff) << 8) | (w >> 8));

describe('decodePoint', () => {
  it.each<[string, number[], Partial<PointCodec>, number | boolean | string]>([
    ['uint64 ABCDEFGH (big/big)', BIG, { type: 'uint64' }, 1234567890123],
    [
      'uint64 GHEFCDAB (little/big)',
      [...BIG].reverse(),
      { type: 'uint64', word_order: 'little' },
      1234567890123,
    ],
    ['uint64 BADCFEHG (big/little)', swapBytes(BIG), { type: 'uint64', byte_order: 'little' }, 1234567890123],
    [
      'uint64 HGFEDCBA (little/little)',
      swapBytes([...BIG].reverse()),
      { type: 'uint64', word_order: 'little', byte_order: 'little' },
      1234567890123,
    ],
    ['int64 -2', [0xffff, 0xffff, 0xffff, 0xfffe], { type: 'int64' }, -2],
    [
      'float64 little/little',
      swapBytes([0x3ff8, 0, 0, 0].reverse()),
      { type: 'float64', word_order: 'little', byte_order: 'little' },
      1.5,
    ],
    [
      'int32 CDAB with scale and offset',
      [0xfffe, 0xffff],
      { type: 'int32', word_order: 'little', scale: 0.5, offset: 1 },
      0,
    ],
    ['bit 15 of a register', [0x8000], { type: 'bool', bit: 15 }, true],
    ['string, NUL-terminated', [0x4142, 0x4300, 0x5858], { type: 'string', length: 3 }, 'ABC'],
    [
      'string, space padded, low byte first',
      [0x4241, 0x2043, 0x2020],
      { type: 'string', length: 3, byte_order: 'little' },
      'ABC',
    ],
  ])('%s', (_name, words, extra, expected) => {
    expect(decodePoint(words, spec(extra))).toBe(expected);
  });

  it('refuses too few registers for a string', () => {
    expect(() => decodePoint([0x4142], spec({ type: 'string', length: 2 }))).toThrow(/needs 2 registers/);
  });

  it('round-trips numbers through encodePoint, and refuses to encode strings', () => {
    for (const [value, extra] of [
      [2 ** 40 + 3, { type: 'uint64', word_order: 'little', byte_order: 'little' }],
      [123.5, { type: 'float32', word_order: 'little' }],
      [-12.3, { type: 'int16', scale: 0.1 }],
    ] as [number, Partial<PointCodec>][]) {
      expect(decodePoint(encodePoint(value, spec(extra)), spec(extra))).toBeCloseTo(value, 5);
    }
    expect(() => encodePoint(1, spec({ type: 'string', length: 2 }))).toThrow(TypeError);
  });

  it('knows widths, strings included', () => {
    expect(registersOf({ type: 'string', length: 10 })).toBe(10);
    expect(registersOf({ type: 'float64' })).toBe(4);
    expect(decodeString([])).toBe('');
  });
});
