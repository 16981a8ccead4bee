import { createRequire } from 'node:module';
import type { Logger } from '@caretaker/protocol/log';
import { SerialPort } from 'serialport';
import { exceptionPdu, requestPduLength, respond } from './modbus-pdu.js';
import { type ModbusUnit, ModbusUnitMap } from './modbus-units.js';

// modbus-serial's CRC-16/MODBUS (polynomial 0xA001 reflected, init 0xFFFF); CommonJS without
// typings for this file, hence require.
const crc16 = createRequire(import.meta.url)('modbus-serial/utils/crc16.js') as (
  buffer: Uint8Array,
) => number;

export interface ModbusRtuExposerOptions {
  /** Serial device: /dev/ttyUSB0, or one end of a socat pseudo-terminal pair. */
  path: string;
  baudRate: number;
  units: ModbusUnit[];
  logger: Logger;
}

/**
 * Longest silence inside a frame before the bytes so far are dropped. The spec's t3.5 is a few
 * ms at 9600 baud (Modbus over Serial Line v1.02 §2.5.1.1), but a pseudo-terminal or a USB
 * adapter delivers bytes in bursts with longer gaps, so frames are delimited by their length
 * and this only clears garbage.
 */
const FRAME_GAP_MS = 50;
/** Largest RTU frame: address, 253-byte PDU, CRC (§2.5.1). */
const MAX_FRAME = 256;

/**
 * A Modbus RTU slave for every unit of one serial line. modbus-serial ships a ServerSerial, but
 * it overwrites each request's CRC before checking it (servers/serverserial.js), so corrupted
 * frames would be answered; a real slave silently drops them (§2.5.1.2). Framing is by the
 * function code's request length, CRC-checked; the register images and the answers are the
 * same as Modbus TCP's (ModbusUnitMap). A unit that is not on the line stays silent, as an
 * absent device on a bus does.
 */
export class ModbusRtuExposer {
  private readonly map: ModbusUnitMap;
  private port: SerialPort | null = null;
  private buffer = Buffer.alloc(0);
  private gapTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Set<NodeJS.Timeout>();
  /** Frames dropped for a bad CRC or garbage, for diagnostics and tests. */
  droppedFrames = 0;

  constructor(private readonly options: ModbusRtuExposerOptions) {
    this.map = new ModbusUnitMap(options.units);
  }

  init(): void {
    this.map.init();
  }

  refresh(): void {
    this.map.refresh();
  }

  get path(): string {
    return this.options.path;
  }

  async start(): Promise<{ path: string; baudRate: number }> {
    if (this.port) throw new Error(`the serial line ${this.options.path} is already open`);
    const { path, baudRate } = this.options;
    const port = new SerialPort({
      path,
      baudRate,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      autoOpen: false,
    });
    this.port = port;
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.port = null;
      throw new Error(`cannot open the serial line ${path}: ${(err as Error).message}`);
    }
    port.on('data', (chunk: Buffer) => this.receive(chunk));
    port.on('error', (err) => this.options.logger.warn({ err, path }, 'serial line error'));
    this.options.logger.debug({ path, baudRate, units: this.map.unitIds() }, 'serial line open');
    return { path, baudRate };
  }

  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    const port = this.port;
    if (!port) return;
    this.port = null;
    port.removeAllListeners('data');
    if (port.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    for (;;) {
      const frame = this.nextFrame();
      if (frame === null) break;
      this.handle(frame);
    }
    if (this.buffer.length > 0) {
      this.gapTimer = setTimeout(() => this.endOfFrame(), FRAME_GAP_MS);
    }
  }

  /** Cuts one complete frame off the buffer, or returns null until more bytes arrive. */
  private nextFrame(): Buffer | null {
    if (this.buffer.length > MAX_FRAME) {
      this.drop('frame longer than 256 bytes');
      return null;
    }
    const pduLength = requestPduLength(this.buffer.subarray(1));
    if (pduLength === null) return null;
    const total = 1 + pduLength + 2;
    if (this.buffer.length < total) return null;
    const frame = this.buffer.subarray(0, total);
    this.buffer = this.buffer.subarray(total);
    return frame;
  }

  /** Silence after bytes that make no frame of known length: a frame with another FC, or junk. */
  private endOfFrame(): void {
    this.gapTimer = null;
    const frame = this.buffer;
    this.buffer = Buffer.alloc(0);
    if (frame.length >= 4) this.handle(frame);
    else if (frame.length > 0) this.drop('short frame');
  }

  private drop(reason: string): void {
    this.droppedFrames += 1;
    this.buffer = Buffer.alloc(0);
    this.options.logger.debug({ reason, path: this.options.path }, 'frame dropped');
  }

  private handle(frame: Buffer): void {
    const body = frame.subarray(0, frame.length - 2);
    if (frame.readUInt16LE(frame.length - 2) !== crc16(body)) {
      this.droppedFrames += 1;
      this.options.logger.debug({ path: this.options.path }, 'bad CRC, frame ignored');
      return;
    }
    const unitId = frame[0] ?? 0;
    // Broadcasts (address 0) are never answered; other units on the bus are not us.
    if (unitId === 0 || !this.map.has(unitId)) return;
    const comm = this.map.comm(unitId);
    if (!comm.respond) return;
    const pdu = body.subarray(1);
    const reply = (): void => {
      const response =
        comm.exceptionCode !== null
          ? exceptionPdu(pdu[0] ?? 0, comm.exceptionCode)
          : respond(this.map, unitId, pdu);
      this.send(unitId, response);
    };
    if (comm.delayMs <= 0) {
      reply();
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      reply();
    }, comm.delayMs);
    this.pending.add(timer);
  }

  private send(unitId: number, pdu: Buffer): void {
    const port = this.port;
    if (!port) return;
    const frame = Buffer.alloc(pdu.length + 3);
    frame[0] = unitId;
    pdu.copy(frame, 1);
    frame.writeUInt16LE(crc16(frame.subarray(0, frame.length - 2)), frame.length - 2);
    port.write(frame);
  }
}
