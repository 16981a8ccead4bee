import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeWebhookContract } from './webhook.contract.js';

describeOnSqlite('webhooks', describeWebhookContract);
