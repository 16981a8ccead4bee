import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describePartsContract } from './parts.contract.js';

describeOnSqlite('parts', describePartsContract);
