import net from 'node:net';
import getPort from 'get-port';
import { ServerTCP } from 'modbus-serial';

/** Register images of one unit; an address absent here answers Modbus exception 2. */
export interface UnitImage {
  holding?: Record<number, number>;
  input?: Record<number, number>;
  coil?: Record<number, boolean>;
  discrete?: Record<number, boolean>;
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
  /** Cuts every client connection (the server keeps listening): a link that drops. */
  dropConnections(): void;
  close(): Promise<void>;
}

// Modbus Application Protocol v1.1b3 §7: 02 illegal data address, 11 gateway target device
// failed to respond (what a Modbus gateway says for a unit id with nobody behind it).
const illegalAddress = () => ({ modbusErrorCode: 2, msg: 'illegal data address' });
const noSuchUnit = () => ({ modbusErrorCode: 11, msg: 'gateway target device failed to respond' });

/**
 * A real Modbus/TCP server (modbus-serial's ServerTCP) on a free loopback port, serving fixed
 * register images for one or more unit ids behind the one port.
 */
export async function startModbusTestServer(units: Record<number, UnitImage>): Promise<ModbusTestServer> {
  const host = '127.0.0.1';
  const port = await getPort({ host });
  const requests = new Map<number, number>();

  const lookup = <T>(table: keyof UnitImage, addr: number, unitID: number): T => {
    requests.set(unitID, (requests.get(unitID) ?? 0) + 1);
    const unit = units[unitID];
    if (unit === undefined) throw noSuchUnit();
    const value = (unit[table] as Record<number, T> | undefined)?.[addr];
    if (value === undefined) throw illegalAddress();
    return value;
  };
  const many = (table: 'holding' | 'input', addr: number, length: number, unitID: number): number[] =>
    Array.from({ length }, (_, i) => lookup<number>(table, addr + i, unitID));

  const server = new ServerTCP(
    {
      getHoldingRegister: (addr: number, unitID: number) => lookup<number>('holding', addr, unitID),
      getMultipleHoldingRegisters: (addr: number, length: number, unitID: number) =>
        many('holding', addr, length, unitID),
      getInputRegister: (addr: number, unitID: number) => lookup<number>('input', addr, unitID),
      getMultipleInputRegisters: (addr: number, length: number, unitID: number) =>
        many('input', addr, length, unitID),
      getCoil: (addr: number, unitID: number) => lookup<boolean>('coil', addr, unitID),
      getDiscreteInput: (addr: number, unitID: number) => lookup<boolean>('discrete', addr, unitID),
    },
    { host, port, unitID: 255 },
  );
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
    requests,
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
