import type { Logger } from '@caretaker/protocol/log';
import modbusSerial from 'modbus-serial';
import type { ModbusLinkConfig } from '../../config/resolved-config.js';
import { withTimeout } from '../../pipeline/with-timeout.js';

// modbus-serial is CommonJS (`module.exports = ModbusRTU`) but its typings declare an ES default
// export, so TypeScript sees the class at `.default` while Node's ESM interop hands us the class
// itself as the default import.
const ModbusRTU = modbusSerial as unknown as typeof modbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

// After a timeout on a serial line, a late answer may still be on its way; leave the line quiet
// for a moment so it is not taken for the answer to the next request (Modbus over Serial Line
// v1.02 §2.5.1.1 asks for 3.5 characters of silence between frames; this is far more).
const QUIET_AFTER_TIMEOUT_MS = 50;

/**
 * One Modbus connection: a TCP socket, an RTU-over-TCP socket or a serial line. Transactions go
 * one at a time, in order (a FIFO): Modbus RTU is half duplex and most TCP servers handle one
 * transaction per connection. Devices behind one line share one link (through the gateway's
 * resource pool); a device on its own TCP connection has a link of its own, so devices on
 * different connections never wait for each other.
 *
 * The link connects on demand, when a transaction needs it, and again after it was lost.
 */
export class ModbusLink {
  readonly key: string;
  readonly #config: ModbusLinkConfig;
  readonly #log: Logger;
  #client: ModbusClient | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #quietUntil = 0;

  constructor(key: string, config: ModbusLinkConfig, logger: Logger) {
    this.key = key;
    this.#config = config;
    this.#log = logger;
  }

  get connected(): boolean {
    return this.#client?.isOpen === true;
  }

  /** A description for logs: `tcp 10.0.0.5:502`, `rtu /dev/ttyUSB0 9600 8E1`. */
  get description(): string {
    const c = this.#config;
    return c.kind === 'rtu'
      ? `rtu ${c.path} ${c.baud_rate} ${c.data_bits}${c.parity[0]?.toUpperCase()}${c.stop_bits}`
      : `${c.kind} ${c.host}:${c.port}`;
  }

  /**
   * Runs `op` alone on the link for `unitId`, connecting first if needed (within `timeoutMs`).
   * `op` may make several requests (a read-modify-write): nobody else uses the link meanwhile.
   */
  transact<T>(unitId: number, timeoutMs: number, op: (client: ModbusClient) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#closed) throw new Error('link closed');
      const quiet = this.#quietUntil - Date.now();
      if (quiet > 0) await new Promise((resolve) => setTimeout(resolve, quiet));
      const client = await this.#connect(timeoutMs);
      client.setID(unitId);
      client.setTimeout(timeoutMs);
      try {
        return await op(client);
      } catch (err) {
        if (this.#config.kind !== 'tcp' && isTimeout(err))
          this.#quietUntil = Date.now() + QUIET_AFTER_TIMEOUT_MS;
        throw err;
      }
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Drops the connection (the next transaction reconnects); for a device that stopped answering. */
  reset(): void {
    const client = this.#client;
    this.#client = undefined;
    // The error listener stays: the socket may still report a late error after destroy.
    client?.destroy(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.reset();
  }

  async #connect(timeoutMs: number): Promise<ModbusClient> {
    if (this.#client?.isOpen === true) return this.#client;
    this.reset();
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener an EventEmitter error would crash
    // the process. The failure itself reaches us through the pending request or connect call.
    client.on('error', (err: unknown) => this.#log.debug({ err, link: this.description }, 'link error'));
    client.on('close', () => {
      if (this.#client === client)
        this.#log.debug({ link: this.description }, 'link closed; reconnecting on demand');
    });
    this.#client = client;
    const c = this.#config;
    // Our own deadline: a SYN to a host that drops packets would otherwise wait for the OS
    // (minutes). The port's own `timeout` is an idle timeout and does not close the socket.
    const connecting =
      c.kind === 'tcp'
        ? client.connectTCP(c.host, { port: c.port })
        : c.kind === 'rtu-tcp'
          ? // modbus-serial's "telnet" port is raw RTU frames (with CRC) over a TCP socket; its
            // "TcpRTUBuffered" port, despite the name, speaks MBAP (Modbus/TCP framing).
            client.connectTelnet(c.host, { port: c.port })
          : client.connectRTUBuffered(c.path, {
              baudRate: c.baud_rate,
              dataBits: c.data_bits,
              parity: c.parity,
              stopBits: c.stop_bits,
            });
    try {
      await withTimeout(connecting, timeoutMs, `connect timeout after ${timeoutMs} ms`);
    } catch (err) {
      if (this.#client === client) this.reset();
      throw err;
    }
    this.#log.debug({ link: this.description }, 'connected');
    return client;
  }
}

/**
 * modbus-serial keeps every transaction (request, responses, callbacks) in `_transactions` until
 * its id comes round again: 256 per Modbus/TCP connection. At tens of polls a second that is
 * megabytes kept alive per device, promoted to the old heap and collected late. With one
 * transaction at a time per link, nothing is pending once a transaction has settled, and a late
 * answer to a timed-out request then finds no transaction and is ignored (modbus-serial's own
 * behaviour for an unknown id) instead of being taken for the next one.
 */
function _forgetTransactions(client: ModbusClient): void {
  const internals = client as unknown as { _transactions?: Record<number, unknown> };
  if (internals._transactions !== undefined) internals._transactions = {};
}

export function isTimeout(err: unknown): boolean {
  const error = err as { errno?: unknown; message?: unknown; name?: unknown } | null;
  return error?.errno === 'ETIMEDOUT' || error?.message === 'timeout' || error?.message === 'Timed out';
}

/** The pool key of a device's link: shared for serial lines and RTU-over-TCP converters. */
export function linkKey(config: ModbusLinkConfig, deviceId: string): string {
  switch (config.kind) {
    case 'tcp':
      // One TCP connection per device: devices behind one port do not wait for each other.
      return `tcp:${config.host}:${config.port}:${deviceId}`;
    case 'rtu-tcp':
      return `rtu-tcp:${config.host}:${config.port}`;
    case 'rtu':
      return `rtu:${config.path}`;
  }
}
