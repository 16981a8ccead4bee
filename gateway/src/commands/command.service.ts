import {
  type CommandRequest,
  type CommandResponse,
  commandIdSchema,
  commandRequestSchema,
  PROTOCOL_VERSION,
  parsePayload,
} from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { ResolvedDevice, WritablePoint } from '../config/resolved-config.js';
import type { Driver } from '../drivers/driver.js';

/** What the service needs of a running device. */
export interface CommandTarget {
  device: ResolvedDevice;
  /** Runs `op` with the device's driver, between its polls. */
  exclusive<T>(op: (driver: Driver) => Promise<T>): Promise<T>;
}

export interface CommandServiceOptions {
  /** The running device of that id, if any (looked up per command: the configuration may change). */
  target: (device: string) => CommandTarget | undefined;
  respond: (response: CommandResponse) => void;
  now: () => number;
  logger: Logger;
}

/** Responses remembered by request id, so a redelivered request is answered, not executed again. */
const REMEMBERED = 1000;
export const DEFAULT_COMMAND_TTL_MS = 30_000;

/**
 * Writes to devices on request (start/stop a pump, reset a fault, a setpoint), with the checks a
 * plant operator expects before anything moves:
 *
 * 1. the payload is valid (`commandRequestSchema`), and not expired (`ts` + `ttl_ms`);
 * 2. the point is on the device's allow-list (`writable`), and the value within its limits and of
 *    the point's kind (a boolean for coils and bits);
 * 3. the write goes to the device between two polls, then the point is read back and compared
 *    (unless the allow-list entry or the request turns verification off);
 * 4. every request gets one response with its id: `ok`, `rejected` (not attempted) or `failed`.
 *
 * Requests are idempotent by id: MQTT QoS 1 may deliver one twice.
 */
export class CommandService {
  readonly #opts: CommandServiceOptions;
  readonly #answered = new Map<string, CommandResponse | 'running'>();
  /** Commands handled, by status (for tests and diagnostics). */
  readonly counts = { ok: 0, rejected: 0, failed: 0, duplicate: 0, malformed: 0 };

  constructor(options: CommandServiceOptions) {
    this.#opts = options;
  }

  /** Handles one command message; resolves once it has been answered. Never rejects. */
  async handle(device: string, payload: Buffer): Promise<void> {
    const parsed = parsePayload(commandRequestSchema, payload);
    if (!parsed.ok) {
      this.counts.malformed += 1;
      // Answer if the request at least carries a usable id and point, so the sender learns why.
      const raw = safeJson(payload);
      const id = commandIdSchema.safeParse(raw?.id);
      const point =
        typeof raw?.point === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(raw.point)
          ? raw.point
          : 'unknown';
      this.#opts.logger.warn({ device, error: parsed.error }, 'malformed command');
      if (id.success)
        this.#respond({ id: id.data, device, point }, 'rejected', `malformed command: ${parsed.error}`);
      return;
    }
    const request = parsed.value;
    const key = `${device}/${request.id}`;
    const previous = this.#answered.get(key);
    if (previous !== undefined) {
      this.counts.duplicate += 1;
      if (previous !== 'running') this.#opts.respond({ ...previous, ts: Math.round(this.#opts.now()) });
      return;
    }
    this.#remember(key, 'running');
    const response = await this.#execute(device, request);
    this.#remember(key, response);
    this.#opts.respond(response);
  }

  async #execute(device: string, request: CommandRequest): Promise<CommandResponse> {
    const ref = { id: request.id, device, point: request.point };
    const reject = (error: string) => this.#response(ref, 'rejected', error);
    const age = this.#opts.now() - request.ts;
    const ttl = request.ttl_ms ?? DEFAULT_COMMAND_TTL_MS;
    if (age > ttl) return reject(`expired: ${Math.round(age)} ms old, ttl ${ttl} ms`);
    const target = this.#opts.target(device);
    if (target === undefined) return reject(`unknown device "${device}"`);
    const allowed = target.device.writable.find((w) => w.point === request.point);
    if (allowed === undefined)
      return reject(`point "${request.point}" is not writable (not in the allow-list)`);
    const problem = this.#checkValue(target.device, allowed, request.value);
    if (problem !== undefined) return reject(problem);
    const verify = allowed.verify && request.verify !== false;
    const log = this.#opts.logger;
    try {
      const readBack = await target.exclusive(async (driver) => {
        if (driver.write === undefined) throw new Error(`the ${target.device.protocol} driver cannot write`);
        await driver.write(request.point, request.value);
        if (!verify) return undefined;
        if (driver.read === undefined) throw new Error('the driver cannot read back');
        return driver.read(request.point);
      });
      if (
        readBack !== undefined &&
        !sameValue(readBack, request.value, this.#tolerance(target.device, request.point, request.value))
      ) {
        log.warn(
          { device, point: request.point, wanted: request.value, read: readBack },
          'command read-back differs',
        );
        return this.#response(
          ref,
          'failed',
          `read back ${String(readBack)}, expected ${String(request.value)}`,
          readBack,
        );
      }
      log.info({ device, point: request.point, value: request.value, id: request.id }, 'command written');
      return this.#response(ref, 'ok', undefined, readBack);
    } catch (err) {
      log.warn({ device, point: request.point, err: (err as Error).message }, 'command failed');
      return this.#response(ref, 'failed', (err as Error).message);
    }
  }

  #checkValue(device: ResolvedDevice, allowed: WritablePoint, value: number | boolean): string | undefined {
    const point = device.points.find((p) => p.name === allowed.point);
    const wantsBool =
      device.protocol !== 'opcua' &&
      point !== undefined &&
      'table' in point &&
      (point.table === 'coil' || point.type === 'bool');
    if (wantsBool && typeof value !== 'boolean') return `"${allowed.point}" takes true or false`;
    if (!wantsBool && typeof value === 'boolean' && device.protocol !== 'opcua')
      return `"${allowed.point}" takes a number`;
    if (typeof value === 'number') {
      if (allowed.min !== undefined && value < allowed.min)
        return `${value} is below the minimum ${allowed.min}`;
      if (allowed.max !== undefined && value > allowed.max)
        return `${value} is above the maximum ${allowed.max}`;
    }
    return undefined;
  }

  /** How far a read-back may differ: half a step of the register's resolution, or float rounding. */
  #tolerance(device: ResolvedDevice, pointName: string, value: number | boolean): number {
    if (typeof value === 'boolean') return 0;
    const relative = Math.max(Math.abs(value) * 1e-6, 1e-9); // float32 keeps about 7 digits
    if (device.protocol === 'opcua') return relative;
    const point = device.points.find((p) => p.name === pointName);
    const scale = point?.scale === undefined ? 1 : Math.abs(point.scale);
    const isFloat = point?.type === 'float32' || point?.type === 'float64';
    return isFloat ? relative * scale : scale / 2;
  }

  #response(
    ref: { id: string; device: string; point: string },
    status: CommandResponse['status'],
    error?: string,
    value?: number | boolean,
  ): CommandResponse {
    this.counts[status] += 1;
    return {
      v: PROTOCOL_VERSION,
      ...ref,
      status,
      ts: Math.round(this.#opts.now()),
      ...(value === undefined ? {} : { value }),
      ...(error === undefined ? {} : { error: error.slice(0, 500) }),
    };
  }

  #respond(
    ref: { id: string; device: string; point: string },
    status: CommandResponse['status'],
    error: string,
  ): void {
    this.#opts.respond(this.#response(ref, status, error));
  }

  #remember(key: string, value: CommandResponse | 'running'): void {
    this.#answered.delete(key);
    this.#answered.set(key, value);
    if (this.#answered.size > REMEMBERED) {
      const oldest = this.#answered.keys().next().value;
      if (oldest !== undefined) this.#answered.delete(oldest);
    }
  }
}

function sameValue(read: number | boolean, wanted: number | boolean, tolerance: number): boolean {
  if (typeof wanted === 'boolean' || typeof read === 'boolean') return Boolean(read) === Boolean(wanted);
  return Math.abs(read - wanted) <= tolerance;
}

function safeJson(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
