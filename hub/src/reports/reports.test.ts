import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeReportsContract } from './reports.contract.js';

describeOnSqlite('reports', describeReportsContract);
