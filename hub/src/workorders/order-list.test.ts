import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeOrderListContract } from './order-list.contract.js';

describeOnSqlite('order-list', describeOrderListContract);
