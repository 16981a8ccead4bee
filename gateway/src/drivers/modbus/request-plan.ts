import type { ModbusTable } from '@caretaker/protocol';
import type { ModbusPointType } from '../../config/resolved-config.js';
import { registersOf } from './codec.js';

/**
 * Request planning: group the points of one device (one scan class) into as few read
 * transactions as the protocol allows (Telegraf's Modbus "optimization"). Pure: no I/O,
 * table-tested.
 *
 * Limits from the Modbus Application Protocol Specification v1.1b3:
 *   FC01 Read Coils §6.1 and FC02 Read Discrete Inputs §6.2: 1 to 2000 bits
 *   FC03 Read Holding Registers §6.3 and FC04 Read Input Registers §6.4: 1 to 125 registers
 */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

export interface PlanOptions {
  /** Registers per FC03/FC04 request (a device may accept fewer than the spec's 125). */
  maxRegisters: number;
  /** Bits per FC01/FC02 request. */
  maxBits: number;
  /**
   * Unused registers a request may span to join two points (reading a few extra words is cheaper
   * than another round trip). 0 joins adjacent points only; -1 joins only overlapping points
   * (bits of one register), which gives one request per value.
   */
  maxRegisterGap: number;
  /** The same for coils and discrete inputs, in bits. */
  maxBitGap: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  maxRegisters: MAX_READ_REGISTERS,
  maxBits: MAX_READ_BITS,
  maxRegisterGap: 10,
  maxBitGap: 64,
};

/** The point fields planning needs; drivers pass their full point objects through. */
export interface PlannablePoint {
  table: ModbusTable;
  address: number;
  type: ModbusPointType;
  length?: number;
}

export interface ReadBlock<P extends PlannablePoint = PlannablePoint> {
  table: ModbusTable;
  /** First address read (0-based protocol address). */
  start: number;
  /** Registers (or bits) read. */
  count: number;
  /** Points decoded from this block, by address. */
  points: P[];
  /**
   * How far this block was split after the device rejected a joined read: 0 as planned, 1 only
   * adjacent points joined, 2 one request per value.
   */
  split: 0 | 1 | 2;
}

// Requests go out in function-code order: FC01 coils, FC02 discrete, FC03 holding, FC04 input.
const TABLE_ORDER: readonly ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

export function isBitTable(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete';
}

/** Addresses a point occupies: one bit in a bit table, its registers otherwise. */
export function pointWidth(point: PlannablePoint): number {
  return isBitTable(point.table) ? 1 : registersOf(point);
}

export function planReads<P extends PlannablePoint>(
  points: readonly P[],
  options: Partial<PlanOptions> = {},
  split: 0 | 1 | 2 = 0,
): ReadBlock<P>[] {
  const opts = { ...DEFAULT_PLAN_OPTIONS, ...options };
  const blocks: ReadBlock<P>[] = [];
  for (const table of TABLE_ORDER) {
    const bits = isBitTable(table);
    const limit = bits ? opts.maxBits : opts.maxRegisters;
    const maxGap = bits ? opts.maxBitGap : opts.maxRegisterGap;
    const sorted = points
      .filter((point) => point.table === table)
      .sort((a, b) => a.address - b.address || pointWidth(b) - pointWidth(a));
    let current: ReadBlock<P> | undefined;
    for (const point of sorted) {
      const end = point.address + pointWidth(point); // exclusive
      if (current !== undefined) {
        const currentEnd = current.start + current.count;
        const joinedCount = Math.max(currentEnd, end) - current.start;
        if (point.address <= currentEnd + maxGap && joinedCount <= limit) {
          current.count = joinedCount;
          current.points.push(point);
          continue;
        }
      }
      current = { table, start: point.address, count: end - point.address, points: [point], split };
      blocks.push(current);
    }
  }
  return blocks;
}

/**
 * The fallback for devices that reject a read spanning registers they do not define (exception
 * 2, or 3 for a read longer than they accept): first only adjacent points stay joined, then one
 * request per value. Returns the block unchanged when it cannot be split further.
 */
export function splitBlock<P extends PlannablePoint>(
  block: ReadBlock<P>,
  options: Partial<PlanOptions> = {},
): ReadBlock<P>[] {
  if (block.split === 0) {
    const runs = planReads(block.points, { ...options, maxRegisterGap: 0, maxBitGap: 0 }, 1);
    if (runs.length > 1) return runs;
  }
  if (block.split < 2) {
    const singles = planReads(block.points, { ...options, maxRegisterGap: -1, maxBitGap: -1 }, 2);
    if (singles.length > 1) return singles;
  }
  return [block];
}

/** The fewest reads any plan can make for these points under the limits (for the benchmark). */
export function minimumReads(points: readonly PlannablePoint[], options: Partial<PlanOptions> = {}): number {
  // With an unlimited gap, greedy packing from the lowest address is optimal for intervals.
  return planReads(points, {
    ...options,
    maxRegisterGap: Number.MAX_SAFE_INTEGER,
    maxBitGap: Number.MAX_SAFE_INTEGER,
  }).length;
}
