import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describePreventiveContract } from './preventive.contract.js';

// The same acceptance suite on a real PostgreSQL: moving to it is configuration (DATABASE_URL).
describeOnPostgres(describePreventiveContract);
