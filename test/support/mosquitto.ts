import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';

export interface RunningMosquitto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts Debian's Mosquitto broker on a free loopback port, configured in a temp dir, and
 * waits until it accepts connections. `extraConfig` lines are appended to mosquitto.conf.
 */
export async function startMosquitto(
  options: { shippedConfig?: boolean; port?: number; dir?: string } = {},
): Promise<RunningMosquitto> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'caretaker-mosquitto-')));
  const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
  // The shipped settings, less what only fits a real install (listener, paths, password file).
  const shipped = options.shippedConfig
    ? (await readFile(join(import.meta.dirname, '../../deploy/mosquitto/caretaker.conf'), 'utf8'))
        .split('\n')
        .filter((line) => !/^\s*(#|$|listener|persistence_location|password_file|allow_anonymous)/.test(line))
    : ['persistence false'];
  const conf = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    `persistence_location ${dir}/`,
    'log_dest stderr',
    'log_type error',
    ...shipped,
  ].join('\n');
  await writeFile(join(dir, 'mosquitto.conf'), `${conf}\n`);
  const child: ChildProcess = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`mosquitto did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, stop };
}
