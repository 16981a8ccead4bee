import { decodeRegisters, type ModbusPoint, registerCount } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import modbusSerial from 'modbus-serial';
import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import type { ResolvedModbusDevice } from '../../config/resolved-config.js';
import type { Accumulator } from '../../pipeline/accumulator.js';
import { withTimeout } from '../../pipeline/with-timeout.js';
import type { Driver, DriverContext, DriverFactory } from '../driver.js';
import { isBitTable, planReads, type ReadBlock, splitBlock } from './request-plan.js';

// modbus-serial is CommonJS (`module.exports = ModbusRTU`) but its typings declare an ES default
// export, so TypeScript sees the class at `.default` while Node's ESM interop hands us the class
// itself as the default import.
const ModbusRTU = modbusSerial as unknown as typeof modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

// Exception codes, Modbus Application Protocol Specification v1.1b3 §7.
const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};
// 10 and 11 come from a Modbus gateway in front of the device: the device itself did not answer.
const NO_ANSWER_EXCEPTIONS = new Set([10, 11]);
// A device that rejects a merged read (undefined registers inside it, or a shorter maximum length
// than the spec's, which §6.3 reports as exception 3) may accept the points one by one.
const SPLIT_ON_EXCEPTIONS = new Set([2, 3]);

type ReadOutcome =
  | { ok: true; ts: number; words?: number[]; bits?: boolean[] }
  | { ok: false; ts: number; reason: string; answered: boolean; exception?: number };

/**
 * Modbus/TCP client for one device (one unit id behind one endpoint). Each device has its own TCP
 * connection, so devices behind one gateway port never wait for each other. Requests go one at a
 * time, as most Modbus servers handle a single transaction per connection.
 */
export class ModbusTcpDriver implements Driver {
  readonly id: string;
  readonly #device: ResolvedModbusDevice;
  readonly #log: Logger;
  #plan: ReadBlock<ModbusPoint>[] = [];
  #client: ModbusClient | undefined;
  #stopped = false;

  constructor(device: ResolvedModbusDevice, context: DriverContext) {
    this.id = device.id;
    this.#device = device;
    this.#log = context.logger;
  }

  init(): void {
    const issues: ConfigIssue[] = [];
    this.#device.points.forEach((point, index) => {
      const problem = checkPoint(point);
      if (problem !== undefined)
        issues.push({ path: `points.${index}`, message: `${point.name}: ${problem}` });
    });
    if (issues.length > 0) throw new ConfigError(issues);
    this.#plan = planReads(this.#device.points);
  }

  /** The read transactions of one poll (after any splitting); for tests and diagnostics. */
  get plan(): readonly ReadBlock<ModbusPoint>[] {
    return this.#plan;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  async gather(acc: Accumulator): Promise<void> {
    if (this.#client?.isOpen !== true) await this.#connect();
    let answered = false;
    let firstFailure: string | undefined;
    const plan: ReadBlock<ModbusPoint>[] = [];
    // After a connection drops mid-poll, #read fails the remaining blocks at once ("not connected").
    for (const block of this.#plan) {
      const outcome = await this.#read(block, acc);
      const parts =
        !outcome.ok && outcome.exception !== undefined && SPLIT_ON_EXCEPTIONS.has(outcome.exception)
          ? splitBlock(block)
          : [block];
      if (parts.length > 1) {
        this.#log.warn(
          {
            table: block.table,
            start: block.start,
            count: block.count,
            reason: outcome.ok ? '' : outcome.reason,
          },
          'merged read rejected; reading these points one by one from now on',
        );
        for (const part of parts) answered = this.#report(part, await this.#read(part, acc), acc) || answered;
      } else {
        answered = this.#report(block, outcome, acc) || answered;
        if (!outcome.ok) firstFailure ??= outcome.reason;
      }
      plan.push(...parts);
    }
    this.#plan = plan;
    if (!answered) {
      // Nothing came back, not even an exception: the device is not there. Drop the connection so
      // the next poll starts from a fresh one.
      this.#disconnect();
      throw new Error(firstFailure ?? 'no response');
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#disconnect();
  }

  async #connect(): Promise<void> {
    this.#disconnect();
    if (this.#stopped) throw new Error('driver stopped');
    const { host, port, unit_id, timeout_ms } = this.#device;
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener an EventEmitter error would crash
    // the process. The failure itself reaches us through the pending request or connect call.
    client.on('error', (err: unknown) => this.#log.debug({ err }, 'socket error'));
    client.on('close', () => {
      if (this.#client === client)
        this.#log.info('connection closed by the device; reconnecting on the next poll');
    });
    this.#client = client;
    try {
      // Our own deadline: a SYN to a host that drops packets would otherwise wait for the OS
      // (minutes). connectTCP's `timeout` is a socket idle timeout and does not close the socket.
      await withTimeout(
        client.connectTCP(host, { port }),
        timeout_ms,
        `connect timeout after ${timeout_ms} ms`,
      );
    } catch (err) {
      this.#disconnect();
      throw err;
    }
    client.setID(unit_id);
    client.setTimeout(timeout_ms);
    this.#log.debug({ host, port, unit_id }, 'connected');
  }

  #disconnect(): void {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    // The error listener stays: the socket may still report a late error after destroy.
    client.destroy(() => {});
  }

  async #read(block: ReadBlock<ModbusPoint>, acc: Accumulator): Promise<ReadOutcome> {
    const client = this.#client;
    if (client?.isOpen !== true)
      return { ok: false, ts: acc.now(), reason: 'not connected', answered: false };
    const { start, count } = block;
    try {
      // modbus-serial applies setTimeout per transaction; this guard also covers a connection
      // destroyed mid-request, after which modbus-serial never settles the promise.
      const deadline = this.#device.timeout_ms + 500;
      const request =
        block.table === 'coil'
          ? client.readCoils(start, count)
          : block.table === 'discrete'
            ? client.readDiscreteInputs(start, count)
            : block.table === 'holding'
              ? client.readHoldingRegisters(start, count)
              : client.readInputRegisters(start, count);
      const result = await withTimeout<{ data: unknown[] }>(request, deadline, 'timeout');
      const ts = acc.now();
      return isBitTable(block.table)
        ? { ok: true, ts, bits: result.data as boolean[] }
        : { ok: true, ts, words: result.data as number[] };
    } catch (err) {
      return { ts: acc.now(), ...describeFailure(err) };
    }
  }

  /** Adds the block's readings; returns whether the device answered at all. */
  #report(block: ReadBlock<ModbusPoint>, outcome: ReadOutcome, acc: Accumulator): boolean {
    if (!outcome.ok) {
      for (const point of block.points) acc.addBad(point, outcome.reason, outcome.ts);
      if (outcome.answered) {
        this.#log.debug({ table: block.table, start: block.start, count: block.count }, outcome.reason);
      }
      return outcome.answered;
    }
    for (const point of block.points) {
      const offset = point.address - block.start;
      try {
        if (outcome.bits !== undefined) {
          const bit = outcome.bits[offset];
          if (bit === undefined) throw new RangeError(`response too short for bit ${point.address}`);
          acc.addValue(point, bit, outcome.ts);
        } else {
          const width = registerCount(point.type);
          const words = (outcome.words ?? []).slice(offset, offset + width);
          const value = decodeRegisters(words, {
            type: point.type,
            word_order: point.word_order ?? this.#device.word_order,
            byte_order: point.byte_order ?? this.#device.byte_order,
            ...(point.scale === undefined ? {} : { scale: point.scale }),
            ...(point.offset === undefined ? {} : { offset: point.offset }),
            ...(point.bit === undefined ? {} : { bit: point.bit }),
          });
          acc.addValue(point, value, outcome.ts);
        }
      } catch (err) {
        acc.addBad(point, `decode error: ${(err as Error).message}`, outcome.ts);
      }
    }
    return true;
  }
}

function describeFailure(err: unknown): { ok: false; reason: string; answered: boolean; exception?: number } {
  const error = err as { modbusCode?: unknown; errno?: unknown; message?: unknown };
  if (typeof error.modbusCode === 'number') {
    const code = error.modbusCode;
    const name = EXCEPTION_NAMES[code] ?? 'unknown exception';
    return {
      ok: false,
      reason: `Modbus exception ${code} (${name})`,
      answered: !NO_ANSWER_EXCEPTIONS.has(code),
      exception: code,
    };
  }
  if (error.errno === 'ETIMEDOUT' || error.message === 'timeout')
    return { ok: false, reason: 'timeout', answered: false };
  if (error.message === 'Port Not Open') return { ok: false, reason: 'not connected', answered: false };
  return { ok: false, reason: String(error.message ?? err), answered: false };
}

/** Combinations the schema cannot rule out on its own; undefined when the point is fine. */
export function checkPoint(point: ModbusPoint): string | undefined {
  if (isBitTable(point.table)) {
    // `uint16` is the schema's default type, so a coil written without `type` lands here as
    // uint16: read it as the bit it is. Multi-register types make no sense for one bit.
    if (point.type !== 'bool' && point.type !== 'uint16') {
      return `a ${point.table} is a single bit; type must be bool, not ${point.type}`;
    }
    if (point.bit !== undefined) return `bit applies to registers, not to a ${point.table}`;
    if (point.scale !== undefined || point.offset !== undefined) return `a ${point.table} cannot be scaled`;
    return undefined;
  }
  if (point.bit !== undefined && point.type !== 'bool')
    return `bit is only valid with type bool, not ${point.type}`;
  if (point.address + registerCount(point.type) - 1 > 65535) {
    return `${point.type} at address ${point.address} runs past the last register (65535)`;
  }
  return undefined;
}

export const modbusTcpDriverFactory: DriverFactory<'modbus-tcp'> = {
  protocol: 'modbus-tcp',
  logName: 'modbus',
  create: (device, context) => new ModbusTcpDriver(device, context),
};
