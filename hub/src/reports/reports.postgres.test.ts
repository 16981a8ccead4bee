import { afterAll, beforeAll } from 'vitest';
import { postgresInstalled, type RunningPostgres, startPostgres } from '../../../test/support/postgres.js';
import { openDatabase } from '../db/database.js';
import { describeReportsContract } from './reports.contract.js';

// The same contract on a real PostgreSQL (the same queries, the same numbers).
const installed = postgresInstalled();
let server: RunningPostgres | undefined;
beforeAll(async () => {
  if (installed) server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describeReportsContract(
  'PostgreSQL',
  async (name) => {
    if (!server) throw new Error('PostgreSQL did not start');
    return openDatabase({ kind: 'postgres', url: await server.database(name) });
  },
  installed,
);
