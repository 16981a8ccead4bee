import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeReportsContract } from './reports.contract.js';

// The same contract on a real PostgreSQL (the same queries, the same numbers).
describeOnPostgres(describeReportsContract);
