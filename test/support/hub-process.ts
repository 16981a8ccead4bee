import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

export const REPO = join(import.meta.dirname, '..', '..');

export interface HubProcess {
  child: ChildProcess;
  url: string;
  mqttUrl: string;
  output(): string;
  /** SIGKILL: no shutdown code runs, as in a crash or an OOM kill. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the hub as its own process (`npm run hub`), so a test can kill -9 it. */
export async function startHubProcess(options: {
  httpPort: number;
  mqttPort: number;
  dataDir: string;
  env?: Record<string, string>;
}): Promise<HubProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO, 'hub/src/main.ts'),
      '--demo',
      '--host',
      '127.0.0.1',
      '--port',
      String(options.httpPort),
      '--mqtt-port',
      String(options.mqttPort),
      '--data-dir',
      options.dataDir,
    ],
    {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn', MQTT_HOST: '127.0.0.1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const url = `http://127.0.0.1:${options.httpPort}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    `the hub process to answer /healthz (output: ${output})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}: ${output}`);
      const res = await fetch(`${url}/healthz`);
      return res.ok ? true : undefined;
    },
    60_000,
  );
  return {
    child,
    url,
    mqttUrl: `mqtt://127.0.0.1:${options.mqttPort}`,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
