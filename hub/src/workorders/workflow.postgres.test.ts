import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeWorkflowContract } from './workflow.contract.js';

// The same lifecycle suite on a real PostgreSQL (concurrent grabs race for real here).
describeOnPostgres(describeWorkflowContract);
