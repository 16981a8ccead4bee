/**
 * How many devices one simulator process holds, and at what cost. Starts the simulators in a
 * child process (`node --import tsx main.ts`, one process, no tsx wrapper) on a generated
 * estate, polls every device once per interval the way a gateway would (Modbus: one request
 * per register table; OPC UA: one Read of every lift variable), and measures the child's CPU
 * time and resident memory from /proc. Prints one JSON object.
 *
 *   npm run bench:simulators -- --devices 252 --seconds 30
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { registerCount, resolveNodeId } from '@caretaker/protocol';
import modbusSerial from 'modbus-serial';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
} from 'node-opcua';
import { stringify } from 'yaml';
import { DEFAULT_PKI_DIR } from './exposers/opcua.exposer.js';
import { loadModbusProfile, loadOpcuaProfile } from './profiles.js';

const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** One residential tower: 12 devices (4 of them lifts over OPC UA). */
const PER_BUILDING = {
  power_meter: true,
  booster_pumps: 4,
  sewage_pumps: 1,
  water_meter: true,
  gas_meter: true,
  elevators: 4,
};
const DEVICES_PER_BUILDING = 12;

interface DeviceJson {
  id: string;
  profile: string;
  protocol: string;
  port?: number;
  unitId?: number;
}

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '252' },
    seconds: { type: 'string', default: '20' },
    'poll-ms': { type: 'string', default: '1000' },
    'tick-ms': { type: 'string', default: '500' },
  },
});
const buildings = Math.ceil(Number(values.devices) / DEVICES_PER_BUILDING);
const seconds = Number(values.seconds);
const pollMs = Number(values['poll-ms']);

/** CPU seconds (user + system) and RSS of a process, from /proc (Linux). */
function usage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) are utime and stime in clock ticks (USER_HZ, 100 on Linux).
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: Math.round(rssKb / 1024) };
}

async function waitForControlUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`the simulators did not start: ${buffered.slice(-2000)}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"url":"(http:[^"]+)"/.exec(buffered);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`the simulators exited with ${code}: ${buffered.slice(-2000)}`)),
    );
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-bench-'));
  const scenarioFile = path.join(dir, 'bench.yaml');
  await writeFile(
    scenarioFile,
    stringify({
      name: 'bench',
      seed: 7,
      sites: [
        {
          id: 'bench',
          buildings: Array.from({ length: buildings }, (_, i) => ({
            id: `t${i + 1}`,
            devices: PER_BUILDING,
          })),
        },
      ],
      faults: [{ device: 't1-pump-1', kind: 'bearing_wear', onset: 'ramp', onset_time: '1m' }],
    }),
  );
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      '--scenario',
      scenarioFile,
      '--host',
      '127.0.0.1',
      '--modbus-port',
      '0',
      '--opcua-port',
      '0',
      '--control-port',
      '0',
      '--tick-ms',
      String(values['tick-ms']),
      '--ground-truth',
      'none',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' } },
  );
  const clients: ModbusClient[] = [];
  let opcua: OPCUAClient | undefined;
  try {
    const url = await waitForControlUrl(child);
    const { devices } = (await (await fetch(`${url}/api/devices`)).json()) as { devices: DeviceJson[] };
    const opcuaEndpoint = (devices.find((d) => d.protocol === 'opcua') as { endpoint?: string } | undefined)
      ?.endpoint;

    // Modbus: one connection per port, units polled one after the other, as a gateway does.
    const byPort = new Map<number, DeviceJson[]>();
    for (const device of devices.filter((d) => d.protocol === 'modbus-tcp')) {
      const list = byPort.get(device.port ?? 0) ?? [];
      list.push(device);
      byPort.set(device.port ?? 0, list);
    }
    const spans = new Map<string, Array<{ table: 'holding' | 'input'; start: number; count: number }>>();
    for (const profileName of new Set(
      devices.filter((d) => d.protocol === 'modbus-tcp').map((d) => d.profile),
    )) {
      const profile = await loadModbusProfile(profileName);
      const list: Array<{ table: 'holding' | 'input'; start: number; count: number }> = [];
      for (const table of ['holding', 'input'] as const) {
        const points = profile.points.filter((p) => p.table === table);
        if (points.length === 0) continue;
        const start = Math.min(...points.map((p) => p.address));
        const end = Math.max(...points.map((p) => p.address + registerCount(p.type)));
        for (let a = start; a < end; a += 125) list.push({ table, start: a, count: Math.min(125, end - a) });
      }
      spans.set(profileName, list);
    }
    for (const port of byPort.keys()) {
      const client = new ModbusRTU();
      await client.connectTCP('127.0.0.1', { port });
      client.setTimeout(2_000);
      clients.push(client);
    }

    const lifts = devices.filter((d) => d.protocol === 'opcua');
    const liftProfile = await loadOpcuaProfile('elevator-controller');
    const nodes = lifts.flatMap((lift) =>
      liftProfile.points.map((point) => ({
        nodeId: resolveNodeId(point, lift.id),
        attributeId: AttributeIds.Value,
      })),
    );
    opcua = OPCUAClient.create({
      applicationName: 'caretaker-bench',
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0 },
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: path.join(DEFAULT_PKI_DIR, 'bench-client'),
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
      }),
    });
    await opcua.connect(opcuaEndpoint ?? '');
    const session = await opcua.createSession();

    let reads = 0;
    let failures = 0;
    const pollOnce = async (): Promise<void> => {
      await Promise.all([
        ...[...byPort.entries()].map(async ([, list], i) => {
          const client = clients[i] as ModbusClient;
          for (const device of list) {
            client.setID(device.unitId ?? 1);
            try {
              for (const span of spans.get(device.profile) ?? []) {
                if (span.table === 'holding') await client.readHoldingRegisters(span.start, span.count);
                else await client.readInputRegisters(span.start, span.count);
              }
              reads += 1;
            } catch {
              failures += 1;
            }
          }
        }),
        (async () => {
          const results = await session.read(nodes);
          for (let i = 0; i < lifts.length; i++) {
            const good = results.slice(i * liftProfile.points.length, (i + 1) * liftProfile.points.length);
            if (good.every((r) => r.statusCode === StatusCodes.Good)) reads += 1;
            else failures += 1;
          }
        })(),
      ]);
    };

    const measure = async (polling: boolean, durationS: number) => {
      const before = usage(child.pid ?? 0);
      const startedAt = performance.now();
      reads = 0;
      failures = 0;
      let slowest = 0;
      while (performance.now() - startedAt < durationS * 1000) {
        const roundStart = performance.now();
        if (polling) await pollOnce();
        const took = performance.now() - roundStart;
        slowest = Math.max(slowest, took);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, pollMs - took)));
      }
      const elapsedS = (performance.now() - startedAt) / 1000;
      const after = usage(child.pid ?? 0);
      return {
        cpu_percent_of_one_core: Math.round((1000 * (after.cpuS - before.cpuS)) / elapsedS) / 10,
        rss_mb: after.rssMb,
        seconds: Math.round(elapsedS * 10) / 10,
        ...(polling
          ? {
              device_reads: reads,
              failed_reads: failures,
              reads_per_second: Math.round(reads / elapsedS),
              slowest_poll_round_ms: Math.round(slowest),
            }
          : {}),
      };
    };

    // Warm up: JIT, first encodings, OPC UA sessions.
    await measure(true, 3);
    const idle = await measure(false, seconds / 2);
    const polled = await measure(true, seconds);
    await session.close();
    process.stdout.write(
      `${JSON.stringify(
        {
          devices_served: devices.length,
          modbus_tcp_devices: devices.length - lifts.length,
          modbus_ports: byPort.size,
          opcua_devices: lifts.length,
          tick_ms: Number(values['tick-ms']),
          poll_interval_ms: pollMs,
          idle,
          polled_every_interval: polled,
          node: process.version,
          cpu: os.cpus()[0]?.model,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    for (const client of clients) await new Promise<void>((resolve) => client.close(() => resolve()));
    await opcua?.disconnect();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
