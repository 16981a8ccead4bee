import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeOrderListContract } from './order-list.contract.js';

// The same paging suite on a real PostgreSQL (its null ordering and integer arithmetic differ).
describeOnPostgres(describeOrderListContract);
