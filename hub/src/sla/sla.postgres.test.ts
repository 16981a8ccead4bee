import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeSlaContract } from './sla.contract.js';

// The same acceptance suite on a real PostgreSQL (moving to it is configuration: DATABASE_URL).
describeOnPostgres(describeSlaContract);
