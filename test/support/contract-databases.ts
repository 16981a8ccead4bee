import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../hub/src/db/database.js';
import { postgresInstalled, type RunningPostgres, startPostgres } from './postgres.js';

/**
 * Where a module's database contract (one suite run on SQLite and PostgreSQL alike) gets its
 * databases: a fresh one per name, deleted or stopped after the test file.
 */
export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

/** A `describe…Contract(dialect, openDb, enabled)` function of a module. */
export type DatabaseContract = (dialect: string, openDb: DatabaseFactory, enabled: boolean) => void;

/** One SQLite file per database name, in a temp dir removed after the test file. */
export function sqliteDatabases(prefix: string): DatabaseFactory {
  const dir = mkdtempSync(join(tmpdir(), `caretaker-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name) => openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) });
}

export function describeOnSqlite(prefix: string, contract: DatabaseContract): void {
  contract('SQLite', sqliteDatabases(prefix), true);
}

/**
 * The same contract on a real PostgreSQL started for this test file (moving to it is
 * configuration: DATABASE_URL). Without the server the suite is skipped loudly, and under
 * CI=true it fails (see `requireInstalled`).
 */
export function describeOnPostgres(contract: DatabaseContract): void {
  const installed = postgresInstalled();
  let server: RunningPostgres | undefined;
  beforeAll(async () => {
    if (installed) server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  contract(
    'PostgreSQL',
    async (name) => {
      if (!server) throw new Error('PostgreSQL did not start');
      return openDatabase({ kind: 'postgres', url: await server.database(name) });
    },
    installed,
  );
}
