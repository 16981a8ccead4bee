import type { Server } from 'node:http';
import type { Logger } from '@caretaker/protocol/log';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { type Estate, FaultRequestError } from '../estate/estate.js';
import { FAULT_CATALOGUE } from '../faults/catalogue.js';
import type { SimulatedDevice } from '../index.js';

export interface ControlServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  estate: Estate;
  devices: readonly SimulatedDevice[];
  logger: Logger;
}

export interface ControlServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Paths of the control API, shared by the server, the CLI and the tests. */
export const controlPaths = {
  health: '/healthz',
  devices: '/api/devices',
  device: (id: string) => `/api/devices/${encodeURIComponent(id)}`,
  offline: (id: string) => `/api/devices/${encodeURIComponent(id)}/offline`,
  online: (id: string) => `/api/devices/${encodeURIComponent(id)}/online`,
  faults: '/api/faults',
  fault: (id: string) => `/api/faults/${encodeURIComponent(id)}`,
  kinds: '/api/fault-kinds',
} as const;

const faultQuerySchema = z
  .object({
    state: z.enum(['scheduled', 'active', 'ended']).optional(),
    device: z.string().optional(),
  })
  .strict();

/**
 * The simulator's control API: list devices and faults, inject or clear a fault, take a device
 * off the network and bring it back. Thin: every rule lives in the Estate, which validates
 * each body and names the offending field in its errors.
 */
export function createControlApp(options: Omit<ControlServerOptions, 'host' | 'port'>): express.Express {
  const { estate, devices, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  const describe = (device: SimulatedDevice) => ({
    ...device,
    online: estate.isOnline(device.id),
    faults: estate.faults({ device: device.id }).filter((f) => f.state !== 'ended'),
  });
  const find = (id: string): SimulatedDevice => {
    const device = devices.find((d) => d.id === id);
    if (!device) throw new FaultRequestError(`device: no device ${id}`, 404);
    return device;
  };

  app.get(controlPaths.health, (_req, res) => {
    res.json({ status: 'ok', devices: devices.length });
  });
  app.get(controlPaths.devices, (_req, res) => {
    res.json({ devices: devices.map(describe) });
  });
  app.get('/api/devices/:id', (req, res) => {
    res.json({ device: describe(find(req.params.id)) });
  });
  app.post('/api/devices/:id/offline', (req, res) => {
    const device = find(req.params.id);
    const faults = estate.setOnline(device.id, false);
    logger.info({ device: device.id }, 'device taken off the network');
    res.json({ device: describe(device), faults });
  });
  app.post('/api/devices/:id/online', (req, res) => {
    const device = find(req.params.id);
    const faults = estate.setOnline(device.id, true);
    logger.info({ device: device.id }, 'device back on the network');
    res.json({ device: describe(device), faults });
  });
  app.get(controlPaths.faults, (req, res) => {
    const query = faultQuerySchema.safeParse(req.query);
    if (!query.success) {
      const issue = query.error.issues[0];
      throw new FaultRequestError(`${issue?.path.join('.') || '(query)'}: ${issue?.message ?? 'invalid'}`);
    }
    res.json({ faults: estate.faults(query.data) });
  });
  app.post(controlPaths.faults, (req, res) => {
    const fault = estate.inject(req.body);
    logger.info({ fault: fault.id, device: fault.device, kind: fault.kind }, 'fault injected');
    res.status(201).json({ fault });
  });
  app.get('/api/faults/:id', (req, res) => {
    const fault = estate.fault(req.params.id);
    if (!fault) throw new FaultRequestError(`id: no fault ${req.params.id}`, 404);
    res.json({ fault });
  });
  app.delete('/api/faults/:id', (req, res) => {
    const fault = estate.clear(req.params.id);
    logger.info({ fault: fault.id, device: fault.device, kind: fault.kind }, 'fault cleared');
    res.json({ fault });
  });
  app.get(controlPaths.kinds, (_req, res) => {
    res.json({ kinds: [...FAULT_CATALOGUE.values()] });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Express 5 routes thrown errors here, synchronous or not.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof FaultRequestError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    const status = (err as { status?: number; type?: string }).status;
    if (status === 400 || status === 413) {
      // body-parser's errors: malformed JSON, too large a body.
      res.status(status).json({ error: `body: ${(err as Error).message}` });
      return;
    }
    logger.error({ err }, 'control API error');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const app = createControlApp(options);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port, options.host, (err?: Error) =>
      err ? reject(err) : resolve(listening),
    );
    listening.once('error', reject);
  }).catch((err: Error) => {
    throw new Error(`cannot start the control API on ${options.host}:${options.port}: ${err.message}`);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostPart === '0.0.0.0' ? '127.0.0.1' : hostPart}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
