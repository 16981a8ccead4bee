import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TelemetryBatch, telemetryBatchSchema, topics } from '@caretaker/protocol';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { type ModbusTestServer, startModbusTestServer } from './testing/modbus-test-server.js';
import { type RecordedMessage, startTestBroker, type TestBroker } from './testing/mqtt-test-broker.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TELEMETRY = topics.telemetry('crash-site', 'gw-crash', 'pump-1');
const FLUSH_MS = 200;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups = [];
});

/** The gateway's command line in a child process, so that it can really be killed. */
function startGatewayProcess(config: string): {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', config], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited, output: () => output };
}

async function until(
  what: string,
  condition: () => boolean,
  timeoutMs = 30_000,
  context = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const batchesIn = (logs: readonly { messages: readonly RecordedMessage[] }[]): TelemetryBatch[] =>
  logs.flatMap((log) =>
    log.messages.filter((m) => m.topic === TELEMETRY).map((m) => telemetryBatchSchema.parse(m.json)),
  );

describe('a gateway killed with SIGKILL', () => {
  it('loses at most the last second, and the receiver sees no gap in seq after the restart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const plc: ModbusTestServer = await startModbusTestServer({ 1: { holding: { 0: 1, 1: 2, 2: 3 } } });
    cleanups.push(() => plc.close());
    const port = await getPort({ host: '127.0.0.1' });
    let broker: TestBroker = await startTestBroker({ port });
    cleanups.push(() => broker.close());
    const logs = [broker.published];
    const config = path.join(dir, 'gateway.yaml');
    await writeFile(
      config,
      [
        'site: crash-site',
        'gateway: gw-crash',
        `mqtt: { url: "mqtt://127.0.0.1:${port}", keepalive_s: 5 }`,
        `spool: { flush_interval_ms: ${FLUSH_MS} }`,
        'metrics: { stats_interval_s: 0 }',
        'data_dir: data',
        'devices:',
        '  - id: pump-1',
        '    protocol: modbus-tcp',
        `    endpoint: ${plc.endpoint}`,
        '    device_type: pump',
        '    poll_interval_ms: 100',
        '    points:',
        '      - { name: a, address: 0 }',
        '      - { name: b, address: 1 }',
        '',
      ].join('\n'),
    );

    // 1. Running normally: live batches reach the broker.
    let gateway = startGatewayProcess(config);
    await until('live telemetry', () => batchesIn(logs).length >= 5, 30_000, gateway.output);

    // 2. The broker goes away: the gateway keeps polling into its spool.
    await broker.close();
    const polled = plc.requests.get(1) ?? 0;
    await until(
      'polls during the outage',
      () => (plc.requests.get(1) ?? 0) >= polled + 15,
      30_000,
      gateway.output,
    );

    // 3. kill -9, mid-outage.
    const killedAt = Date.now();
    gateway.child.kill('SIGKILL');
    await gateway.exited;

    // 4. Broker back, gateway restarted on the same data_dir: the backlog goes out.
    broker = await startTestBroker({ port });
    logs.push(broker.published);
    gateway = startGatewayProcess(config);
    const sent = () => batchesIn(logs);
    const restartedLive = () =>
      sent().filter(
        (b) => b.historical !== true && b.readings[0] !== undefined && b.readings[0].ts > killedAt,
      );
    await until(
      'the backlog and new live data',
      () => {
        const seqs = new Set(sent().map((b) => b.seq));
        const max = Math.max(...seqs);
        return restartedLive().length >= 3 && seqs.size === max + 1;
      },
      40_000,
      gateway.output,
    );

    const all = sent();
    const seqs = new Set(all.map((b) => b.seq));
    const max = Math.max(...seqs);
    // Every number from 0 to the highest arrived: nothing committed was lost, and numbering went
    // on from the spool after the restart instead of starting at 0 again.
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: max + 1 }, (_, i) => i));
    expect(Math.min(...restartedLive().map((b) => b.seq))).toBeGreaterThan(
      Math.max(...all.filter((b) => (b.readings[0]?.ts ?? 0) < killedAt).map((b) => b.seq)),
    );
    // A batch delivered twice (published, PUBACK lost in the kill) is the same batch.
    const bySeq = new Map<number, string>();
    for (const batch of all) {
      const { historical: _h, ...rest } = batch;
      const key = JSON.stringify(rest);
      expect(bySeq.get(batch.seq) ?? key).toBe(key);
      bySeq.set(batch.seq, key);
    }
    // The newest reading taken before the kill is at most a second old at the kill.
    const beforeKill = all.flatMap((b) => b.readings).filter((r) => r.ts < killedAt);
    const newest = Math.max(...beforeKill.map((r) => r.ts));
    expect(killedAt - newest).toBeLessThanOrEqual(1000);
    // The outage part came back marked historical.
    expect(all.some((b) => b.historical === true)).toBe(true);
  }, 90_000);
});
