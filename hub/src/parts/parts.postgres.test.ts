import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describePartsContract } from './parts.contract.js';

// The same contract on a real PostgreSQL (real concurrency: a pool of five connections).
describeOnPostgres(describePartsContract);
