import { describeOnSqlite } from '../../../test/support/contract-databases.js';
import { describeAcknowledgementContract } from './acknowledgement.contract.js';

describeOnSqlite('acks', describeAcknowledgementContract);
