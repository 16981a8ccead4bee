import { afterAll, beforeAll } from 'vitest';
import { postgresInstalled, type RunningPostgres, startPostgres } from '../../../test/support/postgres.js';
import { openDatabase } from '../db/database.js';
import { describePreventiveContract } from './preventive.contract.js';

// The same acceptance suite on a real PostgreSQL: moving to it is configuration (DATABASE_URL).
const installed = postgresInstalled();
let server: RunningPostgres | undefined;
beforeAll(async () => {
  if (installed) server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describePreventiveContract(
  'PostgreSQL',
  async (name) => {
    if (!server) throw new Error('PostgreSQL did not start');
    return openDatabase({ kind: 'postgres', url: await server.database(name) });
  },
  installed,
);
