import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describePeopleContract } from './people.contract.js';

// The same contract on a real PostgreSQL (DATABASE_URL in production).
describeOnPostgres(describePeopleContract);
