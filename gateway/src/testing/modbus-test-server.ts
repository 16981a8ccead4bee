import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { type IServiceVector, ServerSerial, ServerTCP } from 'modbus-serial';

/** Register images of one unit; an address absent here answers Modbus exception 2. */
export interface UnitImage {
  holding?: Record<number, number>;
  input?: Record<number, number>;
  coil?: Record<number, boolean>;
  discrete?: Record<number, boolean>;
}

export interface ModbusTestServerOptions {
  /** Listen on this port (a device coming back where the gateway expects it). */
  port?: number;
  /** Answer each request of these units only after this many ms (a slow device). */
  delayMs?: Record<number, number>;
  /** Units that never answer (a dead device behind a shared line or converter). */
  silent?: Set<number>;
  /**
   * What an unknown unit gets: exception 11 (what a Modbus/TCP gateway says; default for TCP) or
   * silence (a serial line with nobody at that address; default for serial).
   */
  unknownUnit?: 'exception' | 'silence';
}

export interface ModbusTestServer {
  host: string;
  port: number;
  /** `host:port`, as the gateway configuration spells it. */
  endpoint: string;
  /** Live register images by unit id: tests may change them while the server runs. */
  units: Record<number, UnitImage>;
  /** Requests received, by unit id. */
  requests: Map<number, number>;
  /** Write requests received (FC05/06/16 values), by unit id. */
  writes: Map<number, number>;
  /** Largest number of requests in progress at once (a client that pipelines shows > 1). */
  maxConcurrent: number;
  options: ModbusTestServerOptions;
  /** Cuts every client connection (the server keeps listening): a link that drops. */
  dropConnections(): void;
  close(): Promise<void>;
}

// Modbus Application Protocol v1.1b3 §7: 02 illegal data address, 11 gateway target device
// failed to respond (what a Modbus gateway says for a unit id with nobody behind it).
const illegalAddress = () => ({ modbusErrorCode: 2, msg: 'illegal data address' });
const noSuchUnit = () => ({ modbusErrorCode: 11, msg: 'gateway target device failed to respond' });

interface VectorState {
  units: Record<number, UnitImage>;
  requests: Map<number, number>;
  writes: Map<number, number>;
  options: ModbusTestServerOptions;
  concurrent: number;
  maxConcurrent: number;
}

function newState(units: Record<number, UnitImage>, options: ModbusTestServerOptions): VectorState {
  return { units, requests: new Map(), writes: new Map(), options, concurrent: 0, maxConcurrent: 0 };
}

/** The service vector of modbus-serial's servers over the register images (reads and writes). */
function unitVector(state: VectorState, unknownUnit: 'exception' | 'silence'): IServiceVector {
  const never = new Promise<never>(() => {});
  // One request: count it, wait as configured, then answer (or throw an exception code).
  const handle = <T>(unitID: number, answer: () => T): Promise<T> | T => {
    state.requests.set(unitID, (state.requests.get(unitID) ?? 0) + 1);
    if (state.options.silent?.has(unitID)) return never;
    if (state.units[unitID] === undefined) {
      if (unknownUnit === 'silence') return never;
      throw noSuchUnit();
    }
    const delay = state.options.delayMs?.[unitID] ?? 0;
    if (delay <= 0) return answer();
    state.concurrent += 1;
    state.maxConcurrent = Math.max(state.maxConcurrent, state.concurrent);
    return new Promise<T>((resolve, reject) =>
      setTimeout(() => {
        state.concurrent -= 1;
        try {
          resolve(answer());
        } catch (err) {
          reject(err);
        }
      }, delay),
    );
  };
  const lookup = <T>(table: keyof UnitImage, addr: number, unitID: number): T => {
    const value = (state.units[unitID]?.[table] as Record<number, T> | undefined)?.[addr];
    if (value === undefined) throw illegalAddress();
    return value;
  };
  // modbus-serial wants an array of the requested length here, each element a value or a promise.
  const many = (table: 'holding' | 'input', addr: number, length: number, unitID: number) => {
    const all = handle(unitID, () =>
      Array.from({ length }, (_, i) => lookup<number>(table, addr + i, unitID)),
    );
    if (Array.isArray(all)) return all;
    all.catch(() => {});
    return Array.from({ length }, (_, i) => all.then((values) => values[i]));
  };
  const write = <T>(table: 'holding' | 'coil', addr: number, value: T, unitID: number) => {
    state.writes.set(unitID, (state.writes.get(unitID) ?? 0) + 1);
    lookup<T>(table, addr, unitID); // only defined addresses are writable
    const image = state.units[unitID]?.[table] as Record<number, T>;
    image[addr] = value;
  };
  return {
    getHoldingRegister: (addr: number, unitID: number) =>
      handle(unitID, () => lookup<number>('holding', addr, unitID)),
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number) =>
      many('holding', addr, length, unitID),
    getInputRegister: (addr: number, unitID: number) =>
      handle(unitID, () => lookup<number>('input', addr, unitID)),
    getMultipleInputRegisters: (addr: number, length: number, unitID: number) =>
      many('input', addr, length, unitID),
    getCoil: (addr: number, unitID: number) => handle(unitID, () => lookup<boolean>('coil', addr, unitID)),
    getDiscreteInput: (addr: number, unitID: number) =>
      handle(unitID, () => lookup<boolean>('discrete', addr, unitID)),
    setRegister: (addr: number, value: number, unitID: number) =>
      handle(unitID, () => write('holding', addr, value, unitID)),
    setCoil: (addr: number, value: boolean, unitID: number) =>
      handle(unitID, () => write('coil', addr, value, unitID)),
  } as IServiceVector;
}

/**
 * A real Modbus/TCP server (modbus-serial's ServerTCP) on a free loopback port, serving register
 * images for one or more unit ids behind the one port. Writes (FC05/06/16) change the images.
 */
export async function startModbusTestServer(
  units: Record<number, UnitImage>,
  options: ModbusTestServerOptions = {},
): Promise<ModbusTestServer> {
  const host = '127.0.0.1';
  const port = options.port ?? (await getPort({ host }));
  const state = newState(units, options);
  const server = new ServerTCP(unitVector(state, options.unknownUnit ?? 'exception'), {
    host,
    port,
    unitID: 255,
  });
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', (err) => reject(err));
  });
  // Errors thrown by the vector above are answered as exceptions; nothing else should be emitted.
  server.on('error', () => {});
  server.on('socketError', () => {});

  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    units,
    requests: state.requests,
    writes: state.writes,
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    options,
    dropConnections: () => {
      for (const socket of server.socks.keys()) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that accepts connections and never answers: a device that hangs. */
export async function startSilentServer(): Promise<{
  port: number;
  endpoint: string;
  close(): Promise<void>;
}> {
  const host = '127.0.0.1';
  const port = await getPort({ host });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    port,
    endpoint: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (connections are refused). */
export async function unusedEndpoint(): Promise<string> {
  const host = '127.0.0.1';
  return `${host}:${await getPort({ host })}`;
}

export interface RtuTestServer {
  /** The serial device the gateway opens (a pseudo-terminal). */
  path: string;
  /** For RTU over TCP: the TCP port that carries the RTU frames. */
  port?: number;
  endpoint: string;
  units: Record<number, UnitImage>;
  requests: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A Modbus RTU slave (modbus-serial's ServerSerial) on one end of a pseudo-terminal pair made by
 * socat; the gateway opens the other end as its serial line. With `overTcp`, socat bridges the
 * slave's pseudo-terminal to a TCP port instead: RTU frames over TCP, as a serial converter sends
 * them. Needs socat (Debian: `apt-get install socat`).
 */
export async function startRtuTestServer(
  units: Record<number, UnitImage>,
  options: ModbusTestServerOptions & { overTcp?: boolean } = {},
): Promise<RtuTestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-rtu-'));
  const slaveEnd = path.join(dir, 'slave');
  const gatewayEnd = path.join(dir, 'gateway');
  const port = options.overTcp === true ? await getPort({ host: '127.0.0.1' }) : undefined;
  // socat opens its first address at once, the second when needed: the slave's PTY comes first.
  const args = [
    `PTY,raw,echo=0,link=${slaveEnd}`,
    port === undefined ? `PTY,raw,echo=0,link=${gatewayEnd}` : `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`,
  ];
  const socat = spawn('socat', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  const cleanup = async () => {
    if (socat.exitCode === null) socat.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForFile(slaveEnd);
    if (port === undefined) await waitForFile(gatewayEnd);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const state = newState(units, options);
  const server = new ServerSerial(unitVector(state, options.unknownUnit ?? 'silence'), {
    path: slaveEnd,
    baudRate: 19200,
    unitID: 255,
  } as ConstructorParameters<typeof ServerSerial>[1]);
  server.on('error', () => {});
  server.on('socketError', () => {});
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  return {
    path: gatewayEnd,
    ...(port === undefined ? {} : { port }),
    endpoint: port === undefined ? gatewayEnd : `127.0.0.1:${port}`,
    units,
    requests: state.requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cleanup();
    },
  };
}

async function waitForFile(file: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`socat did not create ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
