import net from 'node:net';
import type { ModbusTable } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import { type IServiceVector, ServerTCP } from 'modbus-serial';
import { MODBUS_EXCEPTION, ModbusException, type ModbusUnit, ModbusUnitMap } from './modbus-units.js';

export { MODBUS_EXCEPTION, type ModbusUnit } from './modbus-units.js';

export interface ModbusTcpExposerOptions {
  host: string;
  /** 0 picks a free port; `start()` reports the one bound. */
  port: number;
  units: ModbusUnit[];
  logger: Logger;
}

type Callback = (err: unknown, value?: unknown) => void;

/**
 * Serves several simulated devices behind one Modbus TCP port, each under its own unit id,
 * the way a serial-to-Ethernet gateway fronts a bus of RS-485 devices. Register images are
 * re-encoded from the models after `refresh()`, so a request always reads one consistent step.
 * Communication faults act per request: no answer at all, a late answer, or an exception.
 */
export class ModbusTcpExposer {
  private readonly map: ModbusUnitMap;
  private server: ServerTCP | null = null;
  private boundPort = 0;
  /** Late answers still to be sent; cleared on stop so no timer outlives the server. */
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly options: ModbusTcpExposerOptions) {
    this.map = new ModbusUnitMap(options.units);
  }

  /** Compiles the register maps and checks them against the models. No I/O. */
  init(): void {
    this.map.init();
  }

  /** The models have stepped: the next reads see their new values. */
  refresh(): void {
    this.map.refresh();
  }

  /** Starts listening; resolves with the bound address once the port is open. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('the Modbus TCP server is already started');
    const { host } = this.options;
    // ServerTCP listens on `options.port || 502`, so it cannot bind port 0 itself: find a free
    // port first. Another process could take it in between; the error then says so.
    const port = this.options.port === 0 ? await freePort(host) : this.options.port;
    const server = new ServerTCP(this.vector(), { host, port, unitID: 255 });
    this.server = server;
    server.on('socketError', (err) => this.options.logger.debug({ err }, 'client socket error'));
    server.on('error', (err) => this.options.logger.warn({ err }, 'server error'));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('initialized', () => resolve());
        server.once('serverError', (err: Error) => reject(err));
      });
    } catch (err) {
      await this.stop();
      throw new Error(`cannot listen for Modbus TCP on ${host}:${port}: ${(err as Error).message}`);
    }
    // modbus-serial keeps the net.Server private (servers/servertcp.js, `_server`).
    const address = (server as unknown as { _server: net.Server })._server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
    this.options.logger.debug({ host, port: this.boundPort, units: this.map.unitIds() }, 'listening');
    return { host, port: this.boundPort };
  }

  get port(): number {
    return this.boundPort;
  }

  /** Closes the listener and every client connection. Safe to call twice. */
  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      // close() destroys the open sockets right after closing the listener; an error here
      // only means it was not listening (a failed start), which is what we want anyway.
      server.close(() => resolve());
    });
    server.removeAllListeners();
  }

  /**
   * modbus-serial calls the callback forms (an extra `cb` argument) asynchronously, which is
   * what lets a request go unanswered or be answered late (servers/servertcp_handler.js).
   */
  private vector(): IServiceVector {
    const many = (table: ModbusTable) => (address: number, length: number, unitId: number, cb: Callback) =>
      this.answer(table, address, length, unitId, cb, (words) => words);
    const one = (table: ModbusTable) => (address: number, unitId: number, cb: Callback) =>
      this.answer(table, address, 1, unitId, cb, (words) =>
        table === 'coil' || table === 'discrete' ? words[0] === 1 : (words[0] ?? 0),
      );
    const readOnly = (what: string) => () => {
      // Without these, modbus-serial would leave write requests unanswered until the client
      // times out; a read-only device answers "illegal function" at once.
      throw new ModbusException(MODBUS_EXCEPTION.illegalFunction, `${what} are read-only`);
    };
    return {
      getHoldingRegister: one('holding'),
      getMultipleHoldingRegisters: many('holding'),
      getInputRegister: one('input'),
      getMultipleInputRegisters: many('input'),
      getCoil: one('coil'),
      getDiscreteInput: one('discrete'),
      setRegister: readOnly('registers'),
      setRegisterArray: readOnly('registers'),
      setCoil: readOnly('coils'),
    } as unknown as IServiceVector;
  }

  /**
   * Answers one read. A thrown error carrying `modbusErrorCode` becomes an exception response
   * with that code (servers/servertcp.js); not calling `cb` at all sends nothing.
   */
  private answer(
    table: ModbusTable,
    address: number,
    length: number,
    unitId: number,
    cb: Callback,
    shape: (words: number[]) => unknown,
  ): void {
    const comm = this.map.comm(unitId);
    if (!comm.respond) return;
    // Errors go with an empty array: modbus-serial's FC04 path reads `values[i]` even when
    // given an error, and a TypeError there would turn every exception into code 04.
    const fail = (err: unknown) => cb(err, []);
    const reply = (): void => {
      if (comm.exceptionCode !== null) {
        fail(
          new ModbusException(
            comm.exceptionCode,
            `unit ${unitId} answers with exception ${comm.exceptionCode}`,
          ),
        );
        return;
      }
      try {
        cb(null, shape(this.map.read(table, address, length, unitId)));
      } catch (err) {
        fail(err);
      }
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
}

/** Asks the OS for a free TCP port on `host` and releases it. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
