import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';

export interface RunningInfluxDb {
  url: string;
  /** Runs an InfluxQL query through the 1.x HTTP API and returns the JSON body. */
  query(q: string, db?: string): Promise<InfluxQueryResponse>;
  /** Stops the server but keeps its data, to start it again with `resume()`. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port and data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface InfluxQueryResponse {
  results: Array<{
    statement_id: number;
    error?: string;
    series?: Array<{ name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }>;
  }>;
}

/**
 * Starts Debian's InfluxDB 1.x (`influxd`) on free loopback ports with all of its state in a
 * fresh temporary directory, and waits until it answers /ping.
 */
export async function startInfluxDb(): Promise<RunningInfluxDb> {
  const dir = await mkdtemp(join(tmpdir(), 'caretaker-influx-'));
  const httpPort = await getPort({ host: '127.0.0.1' });
  const rpcPort = await getPort({ host: '127.0.0.1' });
  const config = `
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
`;
  await writeFile(join(dir, 'influxdb.conf'), config);
  let child: ChildProcess;
  let stderr = '';
  const url = `http://127.0.0.1:${httpPort}`;

  const halt = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const stop = async (): Promise<void> => {
    await halt();
    await rm(dir, { recursive: true, force: true });
  };

  const launch = async (): Promise<void> => {
    child = spawn('influxd', ['-config', join(dir, 'influxdb.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    await waitUntilUp();
  };

  const waitUntilUp = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        await stop();
        throw new Error(`influxd exited with ${child.exitCode}: ${stderr}`);
      }
      try {
        const res = await fetch(`${url}/ping`);
        if (res.status === 204) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`influxd did not answer /ping within 30 s: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  await launch();
  return {
    url,
    async query(q, db) {
      const params = new URLSearchParams({ q, epoch: 'ms' });
      if (db) params.set('db', db);
      const res = await fetch(`${url}/query?${params}`, { method: 'POST' });
      if (!res.ok) throw new Error(`InfluxDB query failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as InfluxQueryResponse;
    },
    pause: halt,
    resume: launch,
    stop,
  };
}
