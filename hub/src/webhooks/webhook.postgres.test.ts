import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeWebhookContract } from './webhook.contract.js';

// The same contract on a real PostgreSQL (two hubs could share it: deliveries are claimed by a lease).
describeOnPostgres(describeWebhookContract);
