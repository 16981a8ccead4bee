import { afterAll, beforeAll } from 'vitest';
import { postgresInstalled, type RunningPostgres, startPostgres } from '../../../test/support/postgres.js';
import { openDatabase } from '../db/database.js';
import { describeWebhookContract } from './webhook.contract.js';

// The same contract on a real PostgreSQL (two hubs could share it: deliveries are claimed by a lease).
const installed = postgresInstalled();
let server: RunningPostgres | undefined;
beforeAll(async () => {
  if (installed) server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describeWebhookContract(
  'PostgreSQL',
  async (name) => {
    if (!server) throw new Error('PostgreSQL did not start');
    return openDatabase({ kind: 'postgres', url: await server.database(name) });
  },
  installed,
);
