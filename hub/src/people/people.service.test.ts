import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describePeopleContract } from './people.contract.js';

describeOnSqlite('people', describePeopleContract);
