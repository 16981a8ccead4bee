import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeDispatchContract } from './dispatch.contract.js';

// The same table of cases on a real PostgreSQL.
describeOnPostgres(describeDispatchContract);
