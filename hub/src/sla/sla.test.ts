import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeSlaContract } from './sla.contract.js';

describeOnSqlite('sla', describeSlaContract);
