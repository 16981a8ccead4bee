import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeRegisters } from '@caretaker/protocol';
import modbusSerial from 'modbus-serial';
import {
  AttributeIds,
  type ClientSession,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireBinary } from '../../test/support/require-binary.js';
import { type CliIo, runClientCommand } from './control/control.cli.js';
import { controlPaths } from './control/control.server.js';
import { DEFAULT_PKI_DIR, type RunningSimulators, type ScenarioInput, startSimulators } from './index.js';
import { openPtyPair, type PtyPair } from './testing/pty-pair.js';

const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

// socat is needed for the RTU building; CI installs it (a loud skip elsewhere, see requireBinary).
const haveSocat = requireBinary('socat', 'apt-get install socat');
const haveMbpoll = requireBinary('mbpoll', 'apt-get install mbpoll');

const DAY_MS = 10 * 60_000;
const CLOCK_BASE = Date.UTC(2026, 0, 5) + (9 / 24) * DAY_MS;

function scenario(rtuPath: string | null): ScenarioInput {
  return {
    name: 'socket-test',
    seed: 3,
    start_hour: 9,
    sites: [
      {
        id: 'north',
        buildings: [
          {
            id: 'n1',
            devices: {
              power_meter: true,
              booster_pumps: 2,
              water_meter: true,
              gas_meter: true,
              elevators: 1,
            },
          },
          { id: 'n2', devices: { booster_pumps: 1, sewage_pumps: 1 } },
          ...(rtuPath
            ? [{ id: 'n3', rtu: { path: rtuPath }, devices: { power_meter: true, booster_pumps: 1 } }]
            : []),
        ],
      },
    ],
    faults: [{ device: 'n1-lift-1', kind: 'sensor_dropout', point: 'load' }],
  };
}

async function call(base: string, method: string, url: string, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: string } };
}

describe('an estate on real sockets', () => {
  let sims: RunningSimulators;
  let pty: PtyPair | undefined;
  let dir: string;
  let truthFile: string;
  let api: string;
  const clients: ModbusClient[] = [];

  async function modbusClient(port: number): Promise<ModbusClient> {
    const client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port });
    client.setTimeout(600);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    vi.stubEnv('LOG_LEVEL', 'warn');
    dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-estate-'));
    truthFile = path.join(dir, 'truth', 'ground-truth.jsonl');
    if (haveSocat) pty = await openPtyPair();
    const realStart = Date.now();
    sims = await startSimulators({
      scenario: scenario(pty?.a ?? null),
      host: '127.0.0.1',
      modbusPort: 0,
      opcuaPort: 0,
      controlPort: 0,
      tickMs: 100,
      groundTruthFile: truthFile,
      now: () => CLOCK_BASE + (Date.now() - realStart),
    });
    api = sims.control?.url ?? '';
  });

  afterAll(async () => {
    for (const client of clients) {
      if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    }
    await sims?.stop();
    await pty?.close();
    await rm(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it("serves each building's Modbus devices behind its own port", () => {
    expect(sims.modbusPorts.map((p) => p.devices)).toEqual([
      ['n1-power-meter', 'n1-pump-1', 'n1-pump-2', 'n1-water-meter', 'n1-gas-meter'],
      ['n2-pump-1', 'n2-sewage-pump-1'],
    ]);
    expect(new Set(sims.modbusPorts.map((p) => p.port)).size).toBe(2);
    const lift = sims.devices.find((d) => d.id === 'n1-lift-1');
    expect(lift).toMatchObject({
      protocol: 'opcua',
      endpoint: sims.opcua.endpoint,
      site: 'north',
      building: 'n1',
    });
  });

  it('answers every unit id of each port with its own device', async () => {
    const [first, second] = sims.modbusPorts;
    const n1 = await modbusClient(first?.port ?? 0);
    n1.setID(5);
    const gas = await n1.readInputRegisters(0, 6);
    expect(
      decodeRegisters(gas.data.slice(0, 2), { type: 'uint32', word_order: 'little', scale: 0.01 }),
    ).toBeGreaterThan(96_000);
    expect(decodeRegisters(gas.data.slice(2, 4), { type: 'float32' })).toBeGreaterThan(0);
    const n2 = await modbusClient(second?.port ?? 0);
    n2.setID(2);
    const sewage = await n2.readHoldingRegisters(0, 14);
    // Sump level (address 13, 0.01 m) between the pump's stop and start switches, give or take.
    expect((sewage.data[13] ?? 0) / 100).toBeGreaterThan(0.1);
    expect((sewage.data[13] ?? 0) / 100).toBeLessThan(2);
  });

  it.runIf(haveMbpoll)('is read by mbpoll on the second port too', async () => {
    const port = sims.modbusPorts[1]?.port ?? 0;
    const { stdout } = await promisify(execFile)(
      'mbpoll',
      ['-m', 'tcp', '-a', '1', '-r', '1', '-c', '13', '-1', '-p', String(port), '127.0.0.1'],
      { timeout: 10_000 },
    );
    const registers = new Map<number, number>();
    for (const match of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm))
      registers.set(Number(match[1]), Number(match[2]));
    expect(registers.size).toBe(13);
    // Reference 7 is the speed of n2-pump-1 in rpm: a running 2-pole motor.
    expect(registers.get(7)).toBeGreaterThan(2900);
  });

  it.runIf(haveSocat)('serves the rtu building over the serial line', async () => {
    const client = new ModbusRTU();
    clients.push(client);
    await client.connectRTUBuffered(pty?.b ?? '', { baudRate: 19_200 });
    client.setTimeout(1_000);
    client.setID(1);
    const meter = await client.readInputRegisters(0, 6);
    expect(decodeRegisters(meter.data.slice(0, 2), { type: 'float32' })).toBeGreaterThan(200);
    expect(sims.serialLines).toEqual([
      { path: pty?.a, baudRate: 19_200, devices: ['n3-power-meter', 'n3-pump-1'] },
    ]);
  });

  describe('over OPC UA', () => {
    let client: OPCUAClient;
    let session: ClientSession;
    beforeAll(async () => {
      client = OPCUAClient.create({
        applicationName: 'caretaker-estate-test',
        endpointMustExist: false,
        securityMode: MessageSecurityMode.None,
        securityPolicy: SecurityPolicy.None,
        connectionStrategy: { maxRetry: 0 },
        clientCertificateManager: new OPCUACertificateManager({
          rootFolder: path.join(DEFAULT_PKI_DIR, 'test-client'),
          automaticallyAcceptUnknownCertificate: true,
          disableFileWatchers: true,
        }),
      });
      await client.connect(sims.opcua.endpoint);
      session = await client.createSession();
    });
    afterAll(async () => {
      await session?.close();
      await client?.disconnect();
    });

    it('puts the lift under Objects/<site>/<building> with AnalogItem ranges and units', async () => {
      const paths = await session.translateBrowsePath({
        startingNode: 'ns=0;i=85',
        relativePath: {
          elements: ['north', 'n1', 'n1-lift-1', 'speed', 'EURange'].map((name, i) => ({
            // HierarchicalReferences and its subtypes: Organizes, HasComponent, HasProperty.
            referenceTypeId: 'ns=0;i=33',
            isInverse: false,
            includeSubtypes: true,
            targetName: { namespaceIndex: i < 4 ? 1 : 0, name },
          })),
        },
      } as never);
      expect(paths.statusCode).toBe(StatusCodes.Good);
      const range = await session.read({
        nodeId: paths.targets?.[0]?.targetId,
        attributeId: AttributeIds.Value,
      });
      expect(range.value.value).toMatchObject({ low: 0, high: 2 });
    });

    it('reads BadSensorFailure for a point whose sensor dropped out, Good for the rest', async () => {
      const [load, position] = await session.read([
        { nodeId: 'ns=1;s=n1-lift-1.load', attributeId: AttributeIds.Value },
        { nodeId: 'ns=1;s=n1-lift-1.car_position', attributeId: AttributeIds.Value },
      ]);
      expect(load?.statusCode).toBe(StatusCodes.BadSensorFailure);
      expect(position?.statusCode).toBe(StatusCodes.Good);
      expect(position?.sourceTimestamp).toBeInstanceOf(Date);
    });

    it('answers late while slow_response is active', async () => {
      const injected = await call(api, 'POST', controlPaths.faults, {
        device: 'n1-lift-1',
        kind: 'slow_response',
        delay_ms: 400,
      });
      const read = () => session.read({ nodeId: 'ns=1;s=n1-lift-1.speed', attributeId: AttributeIds.Value });
      const started = performance.now();
      expect((await read()).statusCode).toBe(StatusCodes.Good);
      expect(performance.now() - started).toBeGreaterThanOrEqual(350);
      await call(api, 'DELETE', controlPaths.fault((injected.body.fault as { id: string }).id));
      const again = performance.now();
      await read();
      expect(performance.now() - again).toBeLessThan(300);
    });

    it('reads BadNoCommunication while the lift is off the network', async () => {
      expect((await call(api, 'POST', controlPaths.offline('n1-lift-1'))).status).toBe(200);
      const offline = await session.read({
        nodeId: 'ns=1;s=n1-lift-1.car_position',
        attributeId: AttributeIds.Value,
      });
      expect(offline.statusCode).toBe(StatusCodes.BadNoCommunication);
      expect((await call(api, 'POST', controlPaths.online('n1-lift-1'))).status).toBe(200);
      const back = await session.read({
        nodeId: 'ns=1;s=n1-lift-1.car_position',
        attributeId: AttributeIds.Value,
      });
      expect(back.statusCode).toBe(StatusCodes.Good);
    });
  });

  describe('control API', () => {
    it('lists devices with where they are served and their faults', async () => {
      const { status, body } = await call(api, 'GET', controlPaths.devices);
      expect(status).toBe(200);
      const devices = body.devices as Array<{ id: string; online: boolean; faults: Array<{ kind: string }> }>;
      expect(devices.map((d) => d.id)).toEqual(sims.devices.map((d) => d.id));
      expect(devices.find((d) => d.id === 'n1-lift-1')?.faults.map((f) => f.kind)).toEqual([
        'sensor_dropout',
      ]);
    });

    it('injects a Modbus exception fault and clears it', async () => {
      const client = await modbusClient(sims.modbusPorts[1]?.port ?? 0);
      client.setID(1);
      const injected = await call(api, 'POST', controlPaths.faults, {
        device: 'n2-pump-1',
        kind: 'modbus_exception',
        exception_code: 6,
      });
      expect(injected.status).toBe(201);
      const fault = injected.body.fault as { id: string; state: string };
      expect(fault.state).toBe('active');
      const busy = await client.readHoldingRegisters(0, 2).catch((err: { modbusCode?: number }) => err);
      expect(busy).toMatchObject({ modbusCode: 6 });
      const cleared = await call(api, 'DELETE', controlPaths.fault(fault.id));
      expect(cleared.body.fault).toMatchObject({ id: fault.id, state: 'ended' });
      expect((await client.readHoldingRegisters(0, 2)).data).toHaveLength(2);
    });

    it('takes a Modbus device off the network and brings it back', async () => {
      const client = await modbusClient(sims.modbusPorts[0]?.port ?? 0);
      client.setID(2);
      const off = await call(api, 'POST', controlPaths.offline('n1-pump-1'));
      expect(off.body.device).toMatchObject({ id: 'n1-pump-1', online: false });
      await expect(client.readHoldingRegisters(0, 2)).rejects.toThrow(/Timed out/i);
      // Its neighbour behind the same port still answers.
      client.setID(3);
      expect((await client.readHoldingRegisters(0, 2)).data).toHaveLength(2);
      const on = await call(api, 'POST', controlPaths.online('n1-pump-1'));
      expect(on.body.device).toMatchObject({ online: true });
      client.setID(2);
      expect((await client.readHoldingRegisters(0, 2)).data).toHaveLength(2);
    });

    it.each([
      [{ device: 'n1-pump-1', kind: 'bearing_wear', severity: 3 }, 400, /^severity: /],
      [{ device: 'n1-pump-1' }, 400, /^kind: /],
      [
        { device: 'n1-pump-1', kind: 'bearing_wear', onset_time: 'soon' },
        400,
        /^onset_time: must be a duration/,
      ],
      [{ device: 'n9-pump-1', kind: 'bearing_wear' }, 404, /^device: no device n9-pump-1/],
      [
        { device: 'n1-lift-1', kind: 'modbus_exception' },
        400,
        /^kind: modbus_exception is not played over opcua/,
      ],
      ['{"device":', 400, /^body: /],
    ])('refuses %o with %d, naming the field', async (body, status, message) => {
      const res = await call(api, 'POST', controlPaths.faults, body);
      expect(res.status).toBe(status);
      expect(res.body.error).toMatch(message);
    });

    it('validates queries and ids', async () => {
      const bad = await call(api, 'GET', `${controlPaths.faults}?state=broken`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/^state: /);
      expect((await call(api, 'DELETE', controlPaths.fault('f999'))).status).toBe(404);
      expect((await call(api, 'POST', controlPaths.offline('nope'))).status).toBe(404);
    });

    it('is driven by the CLI commands', async () => {
      let out = '';
      let err = '';
      const io: CliIo = {
        out: (text) => {
          out += text;
        },
        err: (text) => {
          err += text;
        },
        usage: (message) => {
          throw new Error(`usage: ${message}`);
        },
      };
      expect(await runClientCommand('devices', [], { url: api }, io)).toBe(0);
      expect(out).toMatch(/^n2-sewage-pump-1\s+sewage_pump\s+modbus-tcp/m);
      out = '';
      expect(
        await runClientCommand(
          'inject',
          ['n2-pump-1', 'clogging'],
          { url: api, severity: '0.5', onset: 'ramp', 'onset-time': '1h' },
          io,
        ),
      ).toBe(0);
      const id = /^(f\d+)\s+n2-pump-1\s+clogging\s+active/m.exec(out)?.[1];
      expect(id).toBeDefined();
      out = '';
      expect(await runClientCommand('clear', [id ?? ''], { url: api }, io)).toBe(0);
      expect(out).toMatch(new RegExp(`^${id}\\s+n2-pump-1\\s+clogging\\s+ended`, 'm'));
      expect(await runClientCommand('inject', ['n2-pump-1', 'melting'], { url: api }, io)).toBe(1);
      expect(err).toMatch(/^error: kind: /);
      await expect(runClientCommand('clear', [], { url: api }, io)).rejects.toThrow(
        /usage: clear takes <fault-id>/,
      );
      expect(await runClientCommand('devices', [], { url: 'http://127.0.0.1:9' }, io)).toBe(1);
      expect(err).toMatch(/cannot reach the simulators' control API/);
    });
  });

  it('writes the ground truth of every fault as JSON lines', async () => {
    const lines = (await readFile(truthFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ event: 'run.started', scenario: 'socket-test', seed: 3 });
    const dropout = lines.find((l) => l.event === 'fault.started' && l.kind === 'sensor_dropout');
    expect(dropout).toMatchObject({ device: 'n1-lift-1', point: 'load', source: 'scenario', end_ms: null });
    const ended = lines.filter((l) => l.event === 'fault.ended');
    expect(ended.map((l) => l.kind)).toEqual(
      expect.arrayContaining(['modbus_exception', 'no_response', 'clogging']),
    );
    for (const line of ended) {
      expect(line.end_ms).toBeGreaterThanOrEqual(line.start_ms as number);
      expect(typeof line.device).toBe('string');
    }
  });
});

describe('startSimulators with a scenario, bad input', () => {
  it('names the scenario field before opening any port', async () => {
    await expect(
      startSimulators({
        scenario: { sites: [{ id: 's', buildings: [{ id: 'b', devices: { boilers: 1 } as never }] }] },
      }),
    ).rejects.toThrow(/sites\.0\.buildings\.0\.devices: /);
    await expect(startSimulators({ scenario: 'no-such-scenario' })).rejects.toThrow(
      /no-such-scenario\.yaml: file not found/,
    );
  });
});
