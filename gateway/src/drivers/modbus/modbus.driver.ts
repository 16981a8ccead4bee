import type { Logger } from '@caretaker/protocol/log';
import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import type { ResolvedModbusDevice, ResolvedModbusPoint } from '../../config/resolved-config.js';
import type { Accumulator } from '../../pipeline/accumulator.js';
import { ResourcePool } from '../../pipeline/shared-resources.js';
import { withTimeout } from '../../pipeline/with-timeout.js';
import {
  type Driver,
  type DriverContext,
  type DriverFactory,
  noopRecorder,
  type RequestErrorKind,
  type RequestRecorder,
  type SharedResources,
  scanClasses,
} from '../driver.js';
import { decodePoint, encodePoint, registersOf } from './codec.js';
import { isTimeout, linkKey, type ModbusClient, ModbusLink } from './modbus-link.js';
import { isBitTable, type PlanOptions, planReads, type ReadBlock, splitBlock } from './request-plan.js';

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
// A device that rejects a joined read (undefined registers inside it, or a shorter maximum length
// than the spec's, which §6.3 reports as exception 3) may accept smaller reads.
const SPLIT_ON_EXCEPTIONS = new Set([2, 3]);
// Our own guard on top of modbus-serial's per-transaction timeout: it also covers a connection
// destroyed mid-request, after which modbus-serial never settles the promise.
const GUARD_MS = 500;

type ReadOutcome =
  | { ok: true; ts: number; words?: number[]; bits?: boolean[] }
  | { ok: false; ts: number; reason: string; answered: boolean; exception?: number };

/**
 * Modbus client for one device (one unit id) over Modbus/TCP, RTU over TCP or RTU on a serial
 * line. The points are compiled into scan classes (one per poll period) and each class into as few
 * reads as the protocol allows. Requests go through the device's link, one transaction at a time
 * per connection; devices on one serial line or converter share its link.
 *
 * A device that stops answering costs the line one timeout per poll: the first unanswered request
 * ends the poll (the runner then backs off), the remaining blocks are not tried.
 */
export class ModbusDriver implements Driver {
  readonly id: string;
  readonly #device: ResolvedModbusDevice;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #recorder: RequestRecorder;
  readonly #shared: SharedResources;
  #classes: { periodMs: number; plan: ReadBlock<ResolvedModbusPoint>[] }[] = [];
  #byName = new Map<string, ResolvedModbusPoint>();
  #link: ModbusLink | undefined;
  #lastRequestAt = 0;
  #stopped = false;

  constructor(device: ResolvedModbusDevice, context: DriverContext) {
    this.id = device.id;
    this.#device = device;
    this.#log = context.logger;
    this.#now = context.now ?? Date.now;
    this.#recorder = context.recorder ?? noopRecorder;
    this.#shared = context.shared ?? new ResourcePool();
  }

  init(): void {
    const issues: ConfigIssue[] = [];
    this.#device.points.forEach((point, index) => {
      const problem = checkPoint(point);
      if (problem !== undefined)
        issues.push({ path: `points.${index}`, message: `${point.name}: ${problem}` });
    });
    if (issues.length > 0) throw new ConfigError(issues);
    this.#classes = scanClasses(this.#device.points).map(({ periodMs, points }) => ({
      periodMs,
      plan: planReads(points, this.#planOptions()),
    }));
    this.#byName = new Map(this.#device.points.map((point) => [point.name, point]));
  }

  get scanPeriods(): readonly number[] {
    return this.#classes.map((c) => c.periodMs);
  }

  /** The read transactions of one poll of a scan class (after any splitting); for tests and diagnostics. */
  plan(scanClass = 0): readonly ReadBlock<ResolvedModbusPoint>[] {
    return this.#classes[scanClass]?.plan ?? [];
  }

  async start(): Promise<void> {
    this.#stopped = false;
    const link = this.#acquire();
    // Connect now (through a transaction, so a shared line is not disturbed mid-request).
    try {
      await link.transact(this.#device.unit_id, this.#device.timeout_ms, async () => {});
    } catch (err) {
      this.#recorder.failure(failureKind(err));
      throw err;
    }
  }

  async gather(acc: Accumulator, scanClass = 0): Promise<void> {
    const scan = this.#classes[scanClass];
    if (scan === undefined) throw new RangeError(`no scan class ${scanClass}`);
    let answered = false;
    let firstFailure: string | undefined;
    let abandoned: string | undefined;
    const plan: ReadBlock<ResolvedModbusPoint>[] = [];
    for (const block of scan.plan) {
      if (abandoned !== undefined) {
        // The device stopped answering in this poll: do not spend a timeout per remaining block.
        for (const point of block.points) acc.addBad(point, abandoned, acc.now());
        plan.push(block);
        continue;
      }
      const outcome = await this.#read(block, acc);
      const parts =
        !outcome.ok && outcome.exception !== undefined && SPLIT_ON_EXCEPTIONS.has(outcome.exception)
          ? splitBlock(block, this.#planOptions())
          : [block];
      if (parts.length > 1) {
        this.#log.warn(
          {
            table: block.table,
            start: block.start,
            count: block.count,
            reason: outcome.ok ? '' : outcome.reason,
          },
          parts[0]?.split === 1
            ? 'read rejected; reading only adjacent points together from now on'
            : 'read rejected; reading these points one by one from now on',
        );
        for (const part of parts) {
          const partOutcome = await this.#read(part, acc);
          // A further split happens on a later poll, if this level is rejected too.
          answered = this.#report(part, partOutcome, acc) || answered;
        }
      } else {
        answered = this.#report(block, outcome, acc) || answered;
        if (!outcome.ok) {
          firstFailure ??= outcome.reason;
          if (!outcome.answered) abandoned = `${outcome.reason} (poll abandoned)`;
        }
      }
      plan.push(...parts);
    }
    scan.plan = plan;
    if (!answered) {
      // Nothing came back, not even an exception: the device is not there. A link of its own is
      // dropped so the next poll starts from a fresh connection; a shared one is left alone.
      if (this.#device.link.kind === 'tcp') this.#link?.reset();
      throw new Error(firstFailure ?? 'no response');
    }
  }

  async write(pointName: string, value: number | boolean): Promise<void> {
    const point = this.#byName.get(pointName);
    if (point === undefined) throw new Error(`no point named "${pointName}"`);
    const link = this.#acquire();
    const { unit_id, timeout_ms } = this.#device;
    await this.#pace();
    const started = performance.now();
    try {
      await link.transact(unit_id, timeout_ms, async (client) => {
        const guard = (p: Promise<unknown>) => withTimeout(p, timeout_ms + GUARD_MS, 'timeout');
        if (point.table === 'coil') {
          await guard(client.writeCoil(point.address, toBool(value)));
        } else if (point.table !== 'holding') {
          throw new Error(`a ${point.table} cannot be written`);
        } else if (point.type === 'bool') {
          // A bit in a register: read, change the bit, write back, alone on the link.
          const read = (await guard(client.readHoldingRegisters(point.address, 1))) as { data: number[] };
          const current = read.data[0] ?? 0;
          const mask = 1 << (point.bit ?? 0);
          await guard(client.writeRegister(point.address, toBool(value) ? current | mask : current & ~mask));
        } else {
          const words = encodePoint(value, point);
          // FC06 for one register, FC16 for more (Modbus Application Protocol v1.1b3 §6.6, §6.12).
          if (words.length === 1) await guard(client.writeRegister(point.address, words[0] ?? 0));
          else await guard(client.writeRegisters(point.address, words));
        }
      });
      this.#recorder.success(performance.now() - started);
    } catch (err) {
      const failure = describeFailure(err);
      this.#recorder.failure(failureKind(err), performance.now() - started);
      throw new Error(failure.reason);
    } finally {
      this.#lastRequestAt = performance.now();
    }
  }

  async read(pointName: string): Promise<number | boolean> {
    const point = this.#byName.get(pointName);
    if (point === undefined) throw new Error(`no point named "${pointName}"`);
    const [block] = planReads([point], this.#planOptions());
    if (block === undefined) throw new Error(`cannot plan a read of "${pointName}"`);
    const values = new Map<string, number | boolean>();
    const errors: string[] = [];
    const acc: Accumulator = {
      now: this.#now,
      addValue: (p, v) => values.set(p.name, v),
      addBad: (_p, reason) => errors.push(reason),
      addText: () => errors.push('a string cannot be read back as a value'),
    };
    this.#report(block, await this.#read(block, acc), acc);
    const value = values.get(pointName);
    if (value === undefined) throw new Error(errors[0] ?? 'no value');
    return value;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const link = this.#link;
    this.#link = undefined;
    if (link !== undefined) await this.#shared.release(link.key);
  }

  #planOptions(): Partial<PlanOptions> {
    return {
      maxRegisters: this.#device.max_registers_per_read,
      maxBits: this.#device.max_bits_per_read,
      maxRegisterGap: this.#device.max_gap_registers,
      maxBitGap: Math.max(64, this.#device.max_gap_registers * 16),
    };
  }

  #acquire(): ModbusLink {
    if (this.#stopped) throw new Error('driver stopped');
    if (this.#link === undefined) {
      const { link } = this.#device;
      const key = linkKey(link, this.id);
      this.#link = this.#shared.acquire(key, () => new ModbusLink(key, link, this.#log));
    }
    return this.#link;
  }

  /** Waits out the device's `request_delay_ms` since its previous request. */
  async #pace(): Promise<void> {
    const wait = this.#lastRequestAt + this.#device.request_delay_ms - performance.now();
    if (this.#device.request_delay_ms > 0 && wait > 0)
      await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async #read(block: ReadBlock<ResolvedModbusPoint>, acc: Accumulator): Promise<ReadOutcome> {
    let link: ModbusLink;
    try {
      link = this.#acquire();
    } catch (err) {
      return { ok: false, ts: acc.now(), reason: (err as Error).message, answered: false };
    }
    const { unit_id, timeout_ms } = this.#device;
    const { start, count } = block;
    await this.#pace();
    let started = 0;
    try {
      const result = await link.transact(unit_id, timeout_ms, (client: ModbusClient) => {
        started = performance.now();
        const request =
          block.table === 'coil'
            ? client.readCoils(start, count)
            : block.table === 'discrete'
              ? client.readDiscreteInputs(start, count)
              : block.table === 'holding'
                ? client.readHoldingRegisters(start, count)
                : client.readInputRegisters(start, count);
        return withTimeout<{ data: unknown[] }>(request, timeout_ms + GUARD_MS, 'timeout');
      });
      // Stamped when the response arrived: the value is at most one round trip old.
      const ts = acc.now();
      this.#recorder.success(performance.now() - started);
      return isBitTable(block.table)
        ? { ok: true, ts, bits: result.data as boolean[] }
        : { ok: true, ts, words: result.data as number[] };
    } catch (err) {
      const failure = describeFailure(err);
      this.#recorder.failure(failureKind(err), started === 0 ? undefined : performance.now() - started);
      return { ts: acc.now(), ...failure };
    } finally {
      this.#lastRequestAt = performance.now();
    }
  }

  /** Adds the block's readings; returns whether the device answered at all. */
  #report(block: ReadBlock<ResolvedModbusPoint>, outcome: ReadOutcome, acc: Accumulator): boolean {
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
          continue;
        }
        const value = decodePoint(outcome.words ?? [], point, offset);
        if (typeof value === 'string') acc.addText(point, value, outcome.ts);
        else acc.addValue(point, value, outcome.ts);
      } catch (err) {
        this.#recorder.failure('decode');
        acc.addBad(point, `decode error: ${(err as Error).message}`, outcome.ts);
      }
    }
    return true;
  }
}

function toBool(value: number | boolean): boolean {
  return typeof value === 'boolean' ? value : value !== 0;
}

function failureKind(err: unknown): RequestErrorKind {
  const error = err as { modbusCode?: unknown; message?: unknown } | null;
  if (typeof error?.modbusCode === 'number')
    return NO_ANSWER_EXCEPTIONS.has(error.modbusCode) ? 'timeout' : 'exception';
  if (isTimeout(err)) return 'timeout';
  const message = String(error?.message ?? '');
  if (
    /connect|ECONN|EHOSTUNREACH|ENETUNREACH|Port Not Open|not connected|link closed|EPIPE|closed/i.test(
      message,
    )
  )
    return 'connection';
  return 'other';
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
  if (isTimeout(err)) return { ok: false, reason: 'timeout', answered: false };
  if (error.message === 'Port Not Open') return { ok: false, reason: 'not connected', answered: false };
  return { ok: false, reason: String(error.message ?? err), answered: false };
}

/** Combinations the schema cannot rule out on its own; undefined when the point is fine. */
export function checkPoint(point: ResolvedModbusPoint): string | undefined {
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
  if (point.type === 'string' && (point.scale !== undefined || point.offset !== undefined))
    return 'a string cannot be scaled';
  if (point.address + registersOf(point) - 1 > 65535) {
    return `${point.type} at address ${point.address} runs past the last register (65535)`;
  }
  if (registersOf(point) > 125)
    return `${point.type} of ${registersOf(point)} registers exceeds one read (125)`;
  return undefined;
}

const create = (device: ResolvedModbusDevice, context: DriverContext) => new ModbusDriver(device, context);

export const modbusTcpDriverFactory: DriverFactory<'modbus-tcp'> = {
  protocol: 'modbus-tcp',
  logName: 'modbus',
  create,
};
export const modbusRtuTcpDriverFactory: DriverFactory<'modbus-rtu-tcp'> = {
  protocol: 'modbus-rtu-tcp',
  logName: 'modbus',
  create,
};
export const modbusRtuDriverFactory: DriverFactory<'modbus-rtu'> = {
  protocol: 'modbus-rtu',
  logName: 'modbus',
  create,
};
