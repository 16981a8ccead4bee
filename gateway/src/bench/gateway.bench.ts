/**
 * `npm run bench:gateway`: the gateway's figures, each next to a baseline measured in the same run
 * on the same machine, printed as one JSON object (progress goes to stderr).
 *
 *   npm run bench:gateway                       # everything, with the issue's 5-minute outage
 *   npm run bench:gateway -- --outage-s 30      # a shorter outage
 *   npm run bench:gateway -- --only planner,cycle
 *   npm run bench:gateway -- --only throughput --seconds 30
 *   npm run bench:gateway -- --only throughput --node-flags '--max-semi-space-size=2'
 *
 * Sections:
 * - planner: requests per poll against the planner's minimum (simulators' pump and meter; 60
 *   contiguous registers);
 * - cycle: poll-cycle time against (reads needed × single-request round trip);
 * - throughput: values per second through the whole gateway and its CPU and memory, against a
 *   bare modbus-serial client making the same reads. The gateway runs in a child process launched
 *   exactly as the root package.json's `gateway` script launches it (its Node flags included), so
 *   the figures are those of the default; then once more with Node's default heap settings (or
 *   `--node-flags`), to show what the flags buy;
 * - recovery: time until data flows again after the simulators (Modbus and OPC UA) restart;
 * - outage: a broker outage at 1,000 values/s, audited by sequence number at the receiver.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { telemetryBatchSchema } from '@caretaker/protocol';
import { startSimulators } from '@caretaker/simulators';
import getPort from 'get-port';
import modbusSerial from 'modbus-serial';
import { stringify } from 'yaml';
import { resolveGatewayConfig } from '../config/load-config.js';
import type { ResolvedModbusDevice } from '../config/resolved-config.js';
import { ModbusDriver } from '../drivers/modbus/modbus.driver.js';
import { minimumReads } from '../drivers/modbus/request-plan.js';
import { type Gateway, startGateway } from '../gateway.js';
import { gatewayLaunchCommand } from '../launch-command.js';
import type { MqttOutput } from '../outputs/mqtt.output.js';
import { ReadingAccumulator } from '../pipeline/accumulator.js';
import { startModbusTestServer, type UnitImage } from '../testing/modbus-test-server.js';
import { startTestBroker, type TestBroker } from '../testing/mqtt-test-broker.js';
import { testLogger } from '../testing/test-logger.js';

const ModbusRTU = modbusSerial as unknown as typeof modbusSerial.default;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SECTIONS = ['planner', 'cycle', 'throughput', 'recovery', 'outage'] as const;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    'outage-s': { type: 'string', default: '300' },
    only: { type: 'string' },
    // Node flags for the comparison run of the throughput section (default: none, Node's own).
    'node-flags': { type: 'string', default: '' },
  },
  strict: true,
});

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 3) => Number(n.toFixed(digits));
const _mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes (the gateway's command line, and the bare client baseline), measured from
// /proc: CPU time (utime + stime) and resident memory, as `top` would show them.

const BARE = fileURLToPath(new URL('./bare-client.ts', import.meta.url));
const CLOCK_TICKS_PER_S = 100; // getconf CLK_TCK on Linux

function procSample(pid: number): { cpuS: number; rssMb: number; at: number } {
  // /proc/<pid>/stat: the fields after "(comm)"; utime and stime are fields 14 and 15 (proc(5)).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / CLOCK_TICKS_PER_S, rssMb: rssKb / 1024, at: performance.now() };
}

/** `node <nodeArgs> <script> <argv>` from the repository's root, as a user's shell would run it. */
function spawnChild(script: string, argv: string[], nodeArgs: string[] = ['--import', 'tsx']): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, script, ...argv], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
}

/** CPU (cores) over the window and the peak resident memory sampled once a second. */
async function measure(pid: number, windowMs: number): Promise<{ cores: number; rssMb: number }> {
  const a = procSample(pid);
  let peak = a.rssMb;
  for (let waited = 0; waited < windowMs; waited += 1000) {
    await sleep(Math.min(1000, windowMs - waited));
    peak = Math.max(peak, procSample(pid).rssMb);
  }
  const b = procSample(pid);
  return { cores: (b.cpuS - a.cpuS) / ((b.at - a.at) / 1000), rssMb: Math.max(peak, b.rssMb) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------

/** Round trip of a single one-register read, measured with a bare client (the baseline). */
async function singleRequestRtt(
  host: string,
  port: number,
  unit: number,
  table: 'holding' | 'input',
  address: number,
): Promise<number> {
  const client = new ModbusRTU();
  await client.connectTCP(host, { port });
  client.setID(unit);
  client.setTimeout(1000);
  const rtts: number[] = [];
  for (let i = 0; i < 300; i++) {
    const started = performance.now();
    if (table === 'holding') await client.readHoldingRegisters(address, 1);
    else await client.readInputRegisters(address, 1);
    if (i >= 50) rtts.push(performance.now() - started);
  }
  await new Promise<void>((resolve) => client.close(() => resolve()));
  return median(rtts);
}

async function plannerAndCycle(sections: Set<string>) {
  const sims = await startSimulators({ modbusPort: 0, opcuaPort: 0 });
  const out: Record<string, unknown> = {};
  try {
    const config = await resolveGatewayConfig(
      {
        site: 'bench',
        gateway: 'gw',
        devices: sims.devices
          .filter((d) => d.protocol === 'modbus-tcp')
          .map((d) => ({
            id: d.id,
            protocol: 'modbus-tcp',
            endpoint: d.endpoint,
            unit_id: d.unitId,
            profile: d.profile,
          })),
      },
      REPO,
      { env: {} },
    );
    const planner: Record<string, unknown> = {};
    const cycle: Record<string, unknown> = {};
    for (const device of config.devices as ResolvedModbusDevice[]) {
      let requests = 0;
      const driver = new ModbusDriver(device, {
        logger: testLogger(`bench:${device.id}`),
        dataDir: os.tmpdir(),
        recorder: { success: () => requests++, failure: () => requests++ },
      });
      driver.init();
      await driver.start();
      const polls = 300;
      const times: number[] = [];
      for (let i = 0; i < polls + 50; i++) {
        if (i === 50) requests = 0;
        const acc = new ReadingAccumulator(Date.now);
        const started = performance.now();
        await driver.gather(acc, 0);
        if (i >= 50) times.push(performance.now() - started);
      }
      await driver.stop();
      const minimum = minimumReads(device.points, { maxRegisters: device.max_registers_per_read });
      const perPoll = requests / polls;
      planner[device.id] = {
        requests_per_poll: round(perPoll),
        planner_minimum: minimum,
        ratio: round(perPoll / minimum),
      };
      const first = device.points.find((p) => p.table === 'holding' || p.table === 'input');
      if (device.link.kind === 'tcp' && first !== undefined) {
        const rtt = await singleRequestRtt(
          device.link.host,
          device.link.port,
          device.unit_id,
          first.table as 'holding',
          first.address,
        );
        const cycleMs = median(times);
        cycle[device.id] = {
          cycle_ms: round(cycleMs),
          reads: minimum,
          single_request_rtt_ms: round(rtt),
          theoretical_min_ms: round(rtt * minimum),
          ratio: round(cycleMs / (rtt * minimum)),
        };
      }
    }
    // 60 contiguous registers: one request.
    const server = await startModbusTestServer({
      1: { holding: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [i, i])) },
    });
    const config60 = await resolveGatewayConfig(
      {
        site: 'bench',
        gateway: 'gw',
        devices: [
          {
            id: 'contiguous-60',
            protocol: 'modbus-tcp',
            endpoint: server.endpoint,
            device_type: 'other',
            points: Array.from({ length: 60 }, (_, i) => ({ name: `r${i}`, address: i })),
          },
        ],
      },
      REPO,
      { env: {} },
    );
    const before = server.requests.get(1) ?? 0;
    const driver60 = new ModbusDriver(config60.devices[0] as ResolvedModbusDevice, {
      logger: testLogger('bench'),
      dataDir: os.tmpdir(),
    });
    driver60.init();
    for (let i = 0; i < 10; i++) await driver60.gather(new ReadingAccumulator(Date.now), 0);
    await driver60.stop();
    await server.close();
    const perPoll60 = ((server.requests.get(1) ?? 0) - before) / 10;
    planner['contiguous-60'] = { requests_per_poll: perPoll60, planner_minimum: 1, ratio: perPoll60 };
    if (sections.has('planner')) out.planner = planner;
    if (sections.has('cycle')) out.poll_cycle = cycle;
  } finally {
    await sims.stop();
  }
  return out;
}

/** N units × R holding registers on one test server port. */
function registerImages(units: number, registers: number): Record<number, UnitImage> {
  return Object.fromEntries(
    Array.from({ length: units }, (_, u) => [
      u + 1,
      { holding: Object.fromEntries(Array.from({ length: registers }, (_, i) => [i, (i * 7 + u) & 0xffff])) },
    ]),
  );
}

function modbusDevices(endpoint: string, units: number, registers: number, periodMs: number) {
  return Array.from({ length: units }, (_, u) => ({
    id: `dev-${u + 1}`,
    protocol: 'modbus-tcp',
    endpoint,
    unit_id: u + 1,
    device_type: 'other',
    poll_interval_ms: periodMs,
    points: Array.from({ length: registers }, (_, i) => ({ name: `r${i}`, address: i })),
  }));
}

async function throughput(seconds: number) {
  const units = 20;
  const registers = 100;
  const periodMs = 100;
  const target = (units * registers * 1000) / periodMs;
  const server = await startModbusTestServer(registerImages(units, registers));
  const broker = await startTestBroker();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-bench-'));
  let received = 0;
  broker.broker.on('publish', (packet, client) => {
    if (client !== null && packet.topic.endsWith('/telemetry')) {
      received += (JSON.parse(packet.payload.toString()) as { readings: unknown[] }).readings.length;
    }
  });
  try {
    const configFile = path.join(dir, 'gateway.yaml');
    await writeFile(
      configFile,
      stringify({
        site: 'bench',
        gateway: 'gw',
        mqtt: { url: broker.url },
        data_dir: path.join(dir, 'data'),
        metrics: { stats_interval_s: 10 },
        devices: modbusDevices(server.endpoint, units, registers, periodMs),
      }),
    );
    const windowMs = seconds * 1000;
    const launch = gatewayLaunchCommand(REPO);
    const runGateway = async (nodeArgs: string[]) => {
      log(
        `throughput: gateway (node ${nodeArgs.join(' ')} ${launch.script}), ${units} devices x ${registers} values every ${periodMs} ms`,
      );
      await rm(path.join(dir, 'data'), { recursive: true, force: true });
      const gateway = spawnChild(path.join(REPO, launch.script), ['--config', configFile], nodeArgs);
      received = 0;
      await until('telemetry from the gateway', () => received > 0, 60_000);
      await sleep(5000); // warm up
      const receivedBefore = received;
      const startedAt = performance.now();
      const usage = await measure(gateway.pid ?? 0, windowMs);
      const valuesPerS = ((received - receivedBefore) * 1000) / (performance.now() - startedAt);
      await stopChild(gateway);
      return { ...usage, valuesPerS };
    };
    // The default: the production command, Node flags and all.
    const gw = await runGateway(launch.nodeArgs);
    // The comparison: the same without the production command's heap flags (Node's defaults
    // let the heap grow far beyond the live data when memory is plentiful), or with --node-flags.
    const compareFlags = args['node-flags'].split(/\s+/).filter((flag) => flag !== '');
    const compared = await runGateway([...compareFlags, '--import', 'tsx']);
    const valuesPerS = gw.valuesPerS;
    log('throughput: bare modbus-serial client, the same reads');
    const bare = spawnChild(BARE, [server.endpoint, String(units), String(registers), String(periodMs)]);
    await sleep(5000);
    const baseline = await measure(bare.pid ?? 0, windowMs);
    await stopChild(bare);
    return {
      command: ['node', ...launch.nodeArgs, launch.script].join(' '),
      values_per_s: Math.round(valuesPerS),
      offered_values_per_s: target,
      ratio_delivered: round(valuesPerS / target),
      gateway_cpu_cores: round(gw.cores),
      bare_client_cpu_cores: round(baseline.cores),
      cpu_ratio_vs_bare_client: round(gw.cores / baseline.cores, 2),
      cpu_ratio_vs_target_quarter_core: round(gw.cores / 0.25, 2),
      gateway_rss_mb: round(gw.rssMb, 1),
      bare_client_rss_mb: round(baseline.rssMb, 1),
      rss_ratio_vs_target_150_mb: round(gw.rssMb / 150, 2),
      rss_ratio_vs_bare_client: round(gw.rssMb / baseline.rssMb, 2),
      compared_with: {
        node_flags: compareFlags.length === 0 ? "none (Node's defaults)" : compareFlags.join(' '),
        values_per_s: Math.round(compared.valuesPerS),
        gateway_cpu_cores: round(compared.cores),
        cpu_ratio_vs_target_quarter_core: round(compared.cores / 0.25, 2),
        gateway_rss_mb: round(compared.rssMb, 1),
        rss_ratio_vs_target_150_mb: round(compared.rssMb / 150, 2),
      },
    };
  } finally {
    await broker.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function recovery() {
  const modbusPort = await getPort({ host: '127.0.0.1' });
  const opcuaPort = await getPort({ host: '127.0.0.1' });
  let sims = await startSimulators({ modbusPort, opcuaPort });
  const broker = await startTestBroker();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-bench-'));
  const pump = sims.devices.find((d) => d.id === 'pump-1');
  const lift = sims.devices.find((d) => d.id === 'elevator-1');
  let gateway: Gateway | undefined;
  try {
    const config = await resolveGatewayConfig(
      {
        site: 'bench',
        gateway: 'gw',
        mqtt: { url: broker.url },
        data_dir: dir,
        devices: [
          {
            id: 'pump-1',
            protocol: 'modbus-tcp',
            endpoint: pump?.endpoint,
            unit_id: pump?.unitId,
            profile: 'pump-controller',
            poll_interval_ms: 500,
          },
          {
            id: 'elevator-1',
            protocol: 'opcua',
            endpoint: lift?.endpoint,
            profile: 'elevator-controller',
            poll_interval_ms: 500,
          },
        ],
      },
      REPO,
      { env: {} },
    );
    gateway = await startGateway(config, { logger: testLogger });
    const lastTelemetry = new Map<string, number>();
    broker.broker.on('publish', (packet, client) => {
      if (client === null || !packet.topic.endsWith('/telemetry')) return;
      const batch = telemetryBatchSchema.safeParse(JSON.parse(packet.payload.toString()));
      if (batch.success && batch.data.historical !== true) lastTelemetry.set(batch.data.device, Date.now());
    });
    await until(
      'both devices publishing',
      () => lastTelemetry.has('pump-1') && lastTelemetry.has('elevator-1'),
      60_000,
    );
    log('recovery: simulators stopped for 10 s');
    await sims.stop();
    await sleep(10_000);
    const health = gateway.deviceHealth();
    sims = await startSimulators({ modbusPort, opcuaPort });
    const backAt = Date.now();
    log('recovery: simulators back');
    await until(
      'data after the restart',
      () => (lastTelemetry.get('pump-1') ?? 0) > backAt && (lastTelemetry.get('elevator-1') ?? 0) > backAt,
      60_000,
    );
    // The first batch after the restart may carry subscription data that arrived a bit later.
    const modbusMs = (lastTelemetry.get('pump-1') ?? 0) - backAt;
    const opcuaMs = (lastTelemetry.get('elevator-1') ?? 0) - backAt;
    return {
      health_during_outage: health,
      modbus_resumed_ms: modbusMs,
      modbus_ratio_vs_5_s: round(modbusMs / 5000),
      opcua_resumed_ms: opcuaMs,
      opcua_ratio_vs_10_s: round(opcuaMs / 10_000),
    };
  } finally {
    await gateway?.stop();
    await sims.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function outage(outageS: number) {
  const units = 10;
  const registers = 10;
  const periodMs = 100;
  const server = await startModbusTestServer(registerImages(units, registers));
  const port = await getPort({ host: '127.0.0.1' });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-bench-'));
  const seen = new Map<number, number>(); // seq -> readings
  let liveDuringReplay = 0;
  let replaying = false;
  const listen = (broker: TestBroker) =>
    broker.broker.on('publish', (packet, client) => {
      if (client === null || !packet.topic.endsWith('/telemetry')) return;
      const batch = JSON.parse(packet.payload.toString()) as {
        seq: number;
        readings: unknown[];
        historical?: boolean;
      };
      seen.set(batch.seq, batch.readings.length);
      if (replaying && batch.historical !== true) liveDuringReplay += 1;
    });
  let broker = await startTestBroker({ port });
  listen(broker);
  let gateway: Gateway | undefined;
  try {
    const config = await resolveGatewayConfig(
      {
        site: 'bench',
        gateway: 'gw',
        mqtt: { url: broker.url },
        data_dir: dir,
        metrics: { stats_interval_s: 0 },
        devices: modbusDevices(server.endpoint, units, registers, periodMs),
      },
      REPO,
      { env: {} },
    );
    gateway = await startGateway(config, { logger: testLogger });
    const output = gateway.output as MqttOutput;
    await sleep(5000);
    log(`outage: broker down for ${outageS} s at ${(units * registers * 1000) / periodMs} values/s`);
    await broker.close();
    await sleep(outageS * 1000);
    const backlog = output.stats.spoolDepth;
    broker = await startTestBroker({ port });
    listen(broker);
    replaying = true;
    const replayStarted = Date.now();
    log(`outage: broker back, backlog ${backlog} batches`);
    await until(
      'the backlog delivered',
      () =>
        output.stats.spoolDepth === 0 ||
        (output.stats.spoolDepth < 50 && output.stats.replayed >= backlog - 50),
      (outageS + 600) * 1000,
    );
    const replayS = (Date.now() - replayStarted) / 1000;
    replaying = false;
    // Stop producing, let the last batches be acknowledged, then audit.
    await gateway.stop();
    gateway = undefined;
    const produced = output.stats.seq;
    let missing = 0;
    let values = 0;
    for (let seq = 0; seq < produced; seq++) {
      const readings = seen.get(seq);
      if (readings === undefined) missing += 1;
      else values += readings;
    }
    const expectedValues = produced * registers;
    return {
      outage_s: outageS,
      values_per_s: (units * registers * 1000) / periodMs,
      backlog_batches: backlog,
      batches_produced: produced,
      batches_received: produced - missing,
      missing_seqs: missing,
      values_expected: expectedValues,
      values_received: values,
      values_lost: expectedValues - values,
      ratio_received: round(values / expectedValues, 6),
      replay_s: round(replayS, 1),
      live_batches_during_replay: liveDuringReplay,
      dropped_by_spool: output.stats.dropped,
    };
  } finally {
    await gateway?.stop();
    await broker.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sections = new Set<string>(args.only === undefined ? SECTIONS : args.only.split(','));
  const result: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model,
      node: process.version,
      platform: process.platform,
    },
  };
  if (sections.has('planner') || sections.has('cycle')) {
    log('planner and poll cycle against the simulators');
    Object.assign(result, await plannerAndCycle(sections));
  }
  if (sections.has('throughput')) result.throughput = await throughput(Number(args.seconds));
  if (sections.has('recovery')) {
    log('recovery');
    result.recovery = await recovery();
  }
  if (sections.has('outage')) result.outage = await outage(Number(args['outage-s']));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
