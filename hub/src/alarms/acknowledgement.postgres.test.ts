import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeAcknowledgementContract } from './acknowledgement.contract.js';

// The same suite on a real PostgreSQL: concurrent acknowledgements race on its primary key too.
describeOnPostgres(describeAcknowledgementContract);
