import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describePreventiveContract } from './preventive.contract.js';

describeOnSqlite('preventive', describePreventiveContract);
