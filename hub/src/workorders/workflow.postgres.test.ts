import { afterAll, beforeAll } from 'vitest';
import { postgresInstalled, type RunningPostgres, startPostgres } from '../../../test/support/postgres.js';
import { openDatabase } from '../db/database.js';
import { describeWorkflowContract } from './workflow.contract.js';

// The same lifecycle suite on a real PostgreSQL (concurrent grabs race for real here).
const installed = postgresInstalled();
let server: RunningPostgres | undefined;
beforeAll(async () => {
  if (installed) server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describeWorkflowContract(
  'PostgreSQL',
  async (name) => {
    if (!server) throw new Error('PostgreSQL did not start');
    return openDatabase({ kind: 'postgres', url: await server.database(name) });
  },
  installed,
);
