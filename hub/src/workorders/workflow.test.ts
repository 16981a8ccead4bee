import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeWorkflowContract } from './workflow.contract.js';

describeOnSqlite('workflow', describeWorkflowContract);
