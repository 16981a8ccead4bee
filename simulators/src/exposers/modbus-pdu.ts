import type { ModbusTable } from '@caretaker/protocol';
import { MODBUS_EXCEPTION, ModbusException, type ModbusUnitMap } from './modbus-units.js';

/**
 * Modbus PDUs (function code + data) for the transports we implement ourselves (RTU). The
 * simulated devices are read-only: reads (FC01-04) are answered from the unit map, writes and
 * anything else with exception 01 (illegal function), as a read-only instrument does.
 * MODBUS Application Protocol v1.1b3 §6.
 */
const READ_TABLES: Partial<Record<number, ModbusTable>> = {
  1: 'coil',
  2: 'discrete',
  3: 'holding',
  4: 'input',
};

/** Length of a request PDU from its first bytes, or null when more bytes are needed / unknown FC. */
export function requestPduLength(pdu: Uint8Array): number | null {
  const fc = pdu[0];
  if (fc === undefined) return null;
  // FC01-06: function code, address, quantity or value.
  if (fc >= 0x01 && fc <= 0x06) return 5;
  // FC15/16: function code, address, quantity, byte count, then that many bytes.
  if (fc === 0x0f || fc === 0x10) {
    const byteCount = pdu[5];
    return byteCount === undefined ? null : 6 + byteCount;
  }
  return null;
}

export function exceptionPdu(functionCode: number, code: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}

/** The response PDU to a request PDU for `unitId`. Never throws. */
export function respond(map: ModbusUnitMap, unitId: number, pdu: Uint8Array): Buffer {
  const fc = pdu[0] ?? 0;
  const table = READ_TABLES[fc];
  if (!table || pdu.length < 5) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalFunction);
  const view = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const address = view.readUInt16BE(1);
  const quantity = view.readUInt16BE(3);
  let words: number[];
  try {
    words = map.read(table, address, quantity, unitId);
  } catch (err) {
    const code = err instanceof ModbusException ? err.modbusErrorCode : MODBUS_EXCEPTION.serverDeviceFailure;
    return exceptionPdu(fc, code);
  }
  if (table === 'coil' || table === 'discrete') {
    // Bits packed LSB first, eight to a byte (§6.1).
    const bytes = Buffer.alloc(Math.ceil(quantity / 8));
    words.forEach((bit, i) => {
      if (bit) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
    });
    return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
  }
  const out = Buffer.alloc(2 + words.length * 2);
  out[0] = fc;
  out[1] = words.length * 2;
  words.forEach((word, i) => {
    out.writeUInt16BE(word & 0xffff, 2 + i * 2);
  });
  return out;
}
