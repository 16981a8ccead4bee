import { describe, expect, it } from 'vitest';
import {
  decodeRaw,
  decodeRegisters,
  encodeRegisters,
  type RegisterCodecSpec,
  registerCount,
} from './registers.js';

describe('register decoding', () => {
  // Known register images: 123.456 as IEEE-754 float32 is 0x42F6E979.
  it.each<[string, number[], RegisterCodecSpec, number | boolean]>([
    ['uint16', [0xffff], { type: 'uint16' }, 65535],
    ['int16 negative', [0xfffe], { type: 'int16' }, -2],
    ['uint16 scaled', [1234], { type: 'uint16', scale: 0.1 }, 123.4],
    ['int16 scaled with offset', [0xff9c], { type: 'int16', scale: 0.5, offset: 10 }, -40],
    ['uint32 big (ABCD)', [0x0001, 0x0002], { type: 'uint32' }, 65538],
    ['uint32 little word order (CDAB)', [0x0002, 0x0001], { type: 'uint32', word_order: 'little' }, 65538],
    ['int32 negative', [0xffff, 0xfffe], { type: 'int32' }, -2],
    ['float32 ABCD', [0x42f6, 0xe979], { type: 'float32' }, 123.456_001_281_738_28],
    ['float32 CDAB', [0xe979, 0x42f6], { type: 'float32', word_order: 'little' }, 123.456_001_281_738_28],
    ['float32 BADC', [0xf642, 0x79e9], { type: 'float32', byte_order: 'little' }, 123.456_001_281_738_28],
    [
      'float32 DCBA',
      [0x79e9, 0xf642],
      { type: 'float32', word_order: 'little', byte_order: 'little' },
      123.456_001_281_738_28,
    ],
    ['uint64', [0, 0, 0x0001, 0x0000], { type: 'uint64' }, 65536],
    ['int64 negative', [0xffff, 0xffff, 0xffff, 0xffff], { type: 'int64' }, -1],
    ['float64 1.5', [0x3ff8, 0, 0, 0], { type: 'float64' }, 1.5],
    ['bool bit 0', [0b10], { type: 'bool', bit: 0 }, false],
    ['bool bit 1', [0b10], { type: 'bool', bit: 1 }, true],
  ])('%s', (_name, words, spec, expected) => {
    expect(decodeRegisters(words, spec)).toBe(expected);
  });

  it('refuses too few registers', () => {
    expect(() => decodeRaw([1], { type: 'float32' })).toThrow(/needs 2 registers/);
  });

  it('knows register widths', () => {
    expect([registerCount('bool'), registerCount('int32'), registerCount('float64')]).toEqual([1, 2, 4]);
  });
});

describe('register encoding is the inverse of decoding', () => {
  it.each<[number, RegisterCodecSpec]>([
    [42.5, { type: 'uint16', scale: 0.1 }],
    [-3.2, { type: 'int16', scale: 0.1 }],
    [123456, { type: 'uint32' }],
    [123456, { type: 'uint32', word_order: 'little' }],
    [-98765, { type: 'int32', byte_order: 'little' }],
    [230.25, { type: 'float32' }],
    [230.25, { type: 'float32', word_order: 'little', byte_order: 'little' }],
    [98_765_432.125, { type: 'float64', word_order: 'little' }],
    [2 ** 40, { type: 'uint64' }],
    [20, { type: 'int16', scale: 0.5, offset: 10 }],
  ])('%d as %j', (value, spec) => {
    expect(decodeRegisters(encodeRegisters(value, spec), spec)).toBeCloseTo(value, 5);
  });

  it('saturates integers like device firmware', () => {
    expect(encodeRegisters(70000, { type: 'uint16' })).toEqual([0xffff]);
    expect(encodeRegisters(-5, { type: 'uint16' })).toEqual([0]);
  });

  it('sets a status bit', () => {
    expect(encodeRegisters(true, { type: 'bool', bit: 3 })).toEqual([8]);
    expect(encodeRegisters(false, { type: 'bool', bit: 3 })).toEqual([0]);
  });
});
