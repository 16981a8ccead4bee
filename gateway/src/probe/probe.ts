import type { ByteOrder, ModbusTable } from '@caretaker/protocol';
import { decodeRaw } from '@caretaker/protocol';
import type { ModbusLinkConfig } from '../config/resolved-config.js';
import { decodeString } from '../drivers/modbus/codec.js';
import { ModbusLink } from '../drivers/modbus/modbus-link.js';

/**
 * `gateway probe`: reads a raw register window once and prints every interpretation of it, so a
 * user can recognise a known value and read off the device's type, word order and byte order.
 */

/** The four layouts of a multi-register value (shown for a float32 as ABCD etc.). */
export const LAYOUTS: readonly { name: string; word_order: ByteOrder; byte_order: ByteOrder }[] = [
  { name: 'ABCD', word_order: 'big', byte_order: 'big' },
  { name: 'CDAB', word_order: 'little', byte_order: 'big' },
  { name: 'BADC', word_order: 'big', byte_order: 'little' },
  { name: 'DCBA', word_order: 'little', byte_order: 'little' },
];

export interface Interpretation {
  /** Address of the first register (as the user numbers them). */
  address: number;
  type: string;
  /** Value per layout name (16-bit types have one, under `-`). */
  values: Record<string, string>;
}

const fmt = (value: number | boolean): string => {
  if (typeof value === 'boolean') return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e12)
    ? value.toExponential(6)
    : String(Number(value.toPrecision(9)));
};

/** Every interpretation of `words` read from `address`: 16-bit, 32-bit and 64-bit in all layouts, text. */
export function interpretWindow(words: readonly number[], address: number): Interpretation[] {
  const rows: Interpretation[] = [];
  words.forEach((word, i) => {
    rows.push({
      address: address + i,
      type: '16-bit',
      values: {
        hex: `0x${word.toString(16).toUpperCase().padStart(4, '0')}`,
        uint16: fmt(decodeRaw([word], { type: 'uint16' })),
        int16: fmt(decodeRaw([word], { type: 'int16' })),
        bits: word
          .toString(2)
          .padStart(16, '0')
          .replace(/(.{4})(?=.)/g, '$1 '),
      },
    });
  });
  const wide = [
    { types: ['uint32', 'int32', 'float32'] as const, width: 2 },
    { types: ['uint64', 'int64', 'float64'] as const, width: 4 },
  ];
  for (const { types, width } of wide) {
    for (let i = 0; i + width <= words.length; i++) {
      const slice = words.slice(i, i + width);
      for (const type of types) {
        const values: Record<string, string> = {};
        for (const layout of LAYOUTS) values[layout.name] = fmt(decodeRaw(slice, { type, ...layout }));
        rows.push({ address: address + i, type, values });
      }
    }
  }
  rows.push({
    address,
    type: 'string',
    values: {
      'high byte first': JSON.stringify(decodeString(words, 'big')),
      'low byte first': JSON.stringify(decodeString(words, 'little')),
    },
  });
  return rows;
}

/** A plain-text report of the interpretations, one table per width. */
export function formatInterpretations(rows: readonly Interpretation[]): string {
  const out: string[] = [];
  const table = (title: string, header: string[], lines: string[][]) => {
    if (lines.length === 0) return;
    const widths = header.map((h, c) => Math.max(h.length, ...lines.map((line) => (line[c] ?? '').length)));
    const row = (cells: string[]) =>
      cells
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd();
    out.push(title, row(header), ...lines.map(row), '');
  };
  table(
    'Registers',
    ['address', 'hex', 'uint16', 'int16', 'bits (15..0)'],
    rows
      .filter((r) => r.type === '16-bit')
      .map((r) => [
        String(r.address),
        r.values.hex ?? '',
        r.values.uint16 ?? '',
        r.values.int16 ?? '',
        r.values.bits ?? '',
      ]),
  );
  const layoutHeader = LAYOUTS.map((l) => `${l.name} (word ${l.word_order}, byte ${l.byte_order})`);
  for (const [title, types] of [
    ['32-bit values', ['uint32', 'int32', 'float32']],
    ['64-bit values (word_order little reverses all four registers)', ['uint64', 'int64', 'float64']],
  ] as const) {
    table(
      title,
      ['address', 'type', ...layoutHeader],
      rows
        .filter((r) => (types as readonly string[]).includes(r.type))
        .map((r) => [String(r.address), r.type, ...LAYOUTS.map((l) => r.values[l.name] ?? '')]),
    );
  }
  const text = rows.find((r) => r.type === 'string');
  if (text !== undefined) {
    out.push(
      'As text (type string, 2 characters per register)',
      `  byte_order big:    ${text.values['high byte first']}`,
      `  byte_order little: ${text.values['low byte first']}`,
      '',
    );
  }
  out.push(
    'In the configuration: word_order and byte_order as shown per layout; address as printed',
    '(with address_base 1, add 1 for registers counted from 1).',
  );
  return out.join('\n');
}

export interface ProbeOptions {
  link: ModbusLinkConfig;
  unit: number;
  table: ModbusTable;
  /** 0-based protocol address of the first register or bit. */
  address: number;
  count: number;
  timeoutMs: number;
}

/** Reads the window once; registers as numbers, coils and discrete inputs as booleans. */
export async function readWindow(
  options: ProbeOptions,
): Promise<{ words?: number[]; bits?: boolean[]; rttMs: number }> {
  const logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: () => {},
  } as unknown as ConstructorParameters<typeof ModbusLink>[2];
  const link = new ModbusLink('probe', options.link, logger);
  try {
    return await link.transact(options.unit, options.timeoutMs, async (client) => {
      const started = performance.now();
      const { address, count } = options;
      switch (options.table) {
        case 'coil':
          return {
            bits: (await client.readCoils(address, count)).data.slice(0, count),
            rttMs: performance.now() - started,
          };
        case 'discrete':
          return {
            bits: (await client.readDiscreteInputs(address, count)).data.slice(0, count),
            rttMs: performance.now() - started,
          };
        case 'input':
          return {
            words: (await client.readInputRegisters(address, count)).data,
            rttMs: performance.now() - started,
          };
        default:
          return {
            words: (await client.readHoldingRegisters(address, count)).data,
            rttMs: performance.now() - started,
          };
      }
    });
  } finally {
    await link.close();
  }
}
