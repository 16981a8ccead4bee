import type { ModbusTable } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import type { ModbusPointType } from '../../config/resolved-config.js';
import {
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  minimumReads,
  type PlanOptions,
  planReads,
  type ReadBlock,
  splitBlock,
} from './request-plan.js';

interface P {
  name: string;
  table: ModbusTable;
  address: number;
  type: ModbusPointType;
  length?: number;
}

const p = (
  name: string,
  address: number,
  type: ModbusPointType = 'uint16',
  table: ModbusTable = 'holding',
): P => ({
  name,
  table,
  address,
  type,
});

/** Blocks as `table start+count [points]`, easy to read in a table. */
function show(points: P[], options?: Partial<PlanOptions>): string[] {
  return planReads(points, options).map(
    (block) =>
      `${block.table} ${block.start}+${block.count} [${block.points.map((point) => point.name).join(' ')}]`,
  );
}

describe('planReads', () => {
  it.each<[string, P[], string[], Partial<PlanOptions>?]>([
    ['nothing to read', [], []],
    ['one register', [p('a', 5)], ['holding 5+1 [a]']],
    ['adjacent registers merge', [p('a', 0), p('b', 1), p('c', 2)], ['holding 0+3 [a b c]']],
    ['unsorted input is sorted', [p('c', 2), p('a', 0), p('b', 1)], ['holding 0+3 [a b c]']],
    [
      'multi-register types count their width',
      [p('f', 0, 'float32'), p('d', 2, 'float64')],
      ['holding 0+6 [f d]'],
    ],
    ['a small gap is read through', [p('a', 0), p('b', 11)], ['holding 0+12 [a b]']],
    [
      'a gap of 10 is the most read through',
      [p('a', 0), p('b', 11), p('c', 23)],
      ['holding 0+12 [a b]', 'holding 23+1 [c]'],
    ],
    [
      'gap 0 joins adjacent points only',
      [p('a', 0), p('b', 1), p('c', 3)],
      ['holding 0+2 [a b]', 'holding 3+1 [c]'],
      { maxRegisterGap: 0 },
    ],
    [
      'bits of one register share a read',
      [p('b0', 7, 'bool'), p('b1', 7, 'bool')],
      ['holding 7+1 [b0 b1]'],
      { maxRegisterGap: -1 },
    ],
    [
      'a point inside a wider one needs no extra registers',
      [p('wide', 0, 'uint64'), p('low', 3)],
      ['holding 0+4 [wide low]'],
    ],
    [
      'tables never mix, and go in function-code order',
      [p('h', 0), p('i', 0, 'uint16', 'input'), p('c', 0, 'bool', 'coil'), p('d', 0, 'bool', 'discrete')],
      ['coil 0+1 [c]', 'discrete 0+1 [d]', 'holding 0+1 [h]', 'input 0+1 [i]'],
    ],
    [
      // Modbus FC03: at most 125 registers per request.
      'FC03 limit of 125 registers splits a block',
      [p('first', 0), p('last-in', 124), p('over', 125)],
      ['holding 0+125 [first last-in]', 'holding 125+1 [over]'],
      { maxRegisterGap: 1000 },
    ],
    [
      'a value never straddles two requests',
      [p('first', 0), p('f', 124, 'float32')],
      ['holding 0+1 [first]', 'holding 124+2 [f]'],
      { maxRegisterGap: 1000 },
    ],
    [
      // Modbus FC01: at most 2000 coils per request.
      'FC01 limit of 2000 bits splits a block',
      [p('c0', 0, 'bool', 'coil'), p('c1999', 1999, 'bool', 'coil'), p('c2000', 2000, 'bool', 'coil')],
      ['coil 0+2000 [c0 c1999]', 'coil 2000+1 [c2000]'],
      { maxBitGap: 2000 },
    ],
    [
      'bit gaps default to 64',
      [p('c0', 0, 'bool', 'discrete'), p('c65', 65, 'bool', 'discrete'), p('c200', 200, 'bool', 'discrete')],
      ['discrete 0+66 [c0 c65]', 'discrete 200+1 [c200]'],
    ],
    ['highest address', [p('top', 65534, 'float32')], ['holding 65534+2 [top]']],
    [
      'a string counts its length',
      [{ ...p('s', 0, 'string'), length: 8 }, p('after', 8)],
      ['holding 0+9 [s after]'],
    ],
    [
      '60 contiguous registers are one request',
      Array.from({ length: 60 }, (_, i) => p(`r${i}`, i)),
      [`holding 0+60 [${Array.from({ length: 60 }, (_, i) => `r${i}`).join(' ')}]`],
    ],
    [
      'a per-device cap below the spec',
      [p('a', 0), p('b', 9), p('c', 10)],
      ['holding 0+10 [a b]', 'holding 10+1 [c]'],
      { maxRegisters: 10 },
    ],
  ])('%s', (_name, points, expected, options) => {
    expect(show(points, options)).toEqual(expected);
  });

  it('never exceeds the protocol limits, whatever the layout', () => {
    const registers = Array.from({ length: 600 }, (_, i) =>
      p(`r${i}`, i * 3, i % 2 === 0 ? 'float32' : 'uint16'),
    );
    const bits = Array.from({ length: 600 }, (_, i) => p(`c${i}`, i * 7, 'bool', 'coil'));
    for (const block of planReads([...registers, ...bits])) {
      expect(block.count).toBeLessThanOrEqual(block.table === 'coil' ? MAX_READ_BITS : MAX_READ_REGISTERS);
      for (const point of block.points) {
        expect(point.address).toBeGreaterThanOrEqual(block.start);
      }
    }
    // Every point is planned exactly once.
    expect(planReads([...registers, ...bits]).flatMap((block) => block.points)).toHaveLength(1200);
  });
});

describe('splitBlock', () => {
  const block = (points: P[]): ReadBlock<P> => {
    const [first] = planReads(points);
    if (first === undefined) throw new Error('no block');
    return first;
  };
  const shape = (blocks: ReadBlock<P>[]) => blocks.map((b) => `${b.start}+${b.count}/${b.split}`);

  it('first keeps adjacent points together, then reads each value on its own', () => {
    const points = [p('a', 0), p('b', 1), p('f', 3, 'float32'), p('b0', 9, 'bool'), p('b1', 9, 'bool')];
    const runs = splitBlock(block(points));
    expect(shape(runs)).toEqual(['0+2/1', '3+2/1', '9+1/1']);
    // A run that is rejected again is read value by value (bits of one register stay together).
    expect(shape(splitBlock(runs[0] as ReadBlock<P>))).toEqual(['0+1/2', '1+1/2']);
    expect(shape(splitBlock(runs[2] as ReadBlock<P>))).toEqual(['9+1/1']);
  });

  it('goes straight to single values when the points are all adjacent', () => {
    expect(shape(splitBlock(block([p('a', 0), p('b', 1)])))).toEqual(['0+1/2', '1+1/2']);
  });
});

describe('minimumReads', () => {
  it.each<[string, P[], number]>([
    ['contiguous', Array.from({ length: 60 }, (_, i) => p(`r${i}`, i)), 1],
    ['sparse but within 125', [p('a', 0), p('b', 124)], 1],
    ['beyond 125', [p('a', 0), p('b', 125)], 2],
    ['two tables', [p('a', 0), p('c', 0, 'bool', 'coil')], 2],
  ])('%s', (_name, points, expected) => {
    expect(minimumReads(points)).toBe(expected);
  });
});
