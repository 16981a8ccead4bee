import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import pg from 'pg';
import { findBinary, requireInstalled } from './require-binary.js';

/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries, a cluster in a temp
 * dir, a free loopback port, no fsync; stopped and deleted by `stop()`. PostgreSQL refuses to
 * run as root, so under root the server runs as the `postgres` user the package creates.
 */
export interface RunningPostgres {
  /** Connection URL of the `postgres` database (superuser `caretaker`, trust auth). */
  url: string;
  /** URL of a fresh database with this name (created on first use). */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian puts the server binaries under /usr/lib/postgresql/<major>/bin, not on PATH. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const bin = join(root, major, 'bin');
      if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
    }
  }
  const postgres = findBinary('postgres');
  return postgres ? join(postgres, '..') : null;
}

export function postgresInstalled(): boolean {
  return requireInstalled(findPostgresBin() !== null, 'PostgreSQL', 'apt-get install postgresql');
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL binaries not found (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'caretaker',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await getPort({ host: '127.0.0.1' });
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  const server: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `postgres://caretaker@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (server.exitCode !== null || Date.now() > deadline) {
        server.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const created = new Set<string>();
  return {
    url,
    async database(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      if (!created.has(name)) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        // A name checked above, not user input: CREATE DATABASE takes no parameters.
        await client.query(`create database ${name}`);
        await client.end();
        created.add(name);
      }
      return `postgres://caretaker@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        // Signal the postmaster itself (runuser does not pass signals on): SIGINT = fast shutdown.
        const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(Number.isInteger(pid) && pid > 0 ? pid : (server.pid as number), 'SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
