import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeDispatchContract } from './dispatch.contract.js';

describeOnSqlite('dispatch', describeDispatchContract);
