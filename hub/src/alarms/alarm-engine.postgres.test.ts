import { describeOnPostgres } from '../../../test/support/contract-databases.js';
import { describeAlarmEngineContract } from './alarm-engine.contract.js';

// The same acceptance suite on a real PostgreSQL: moving to it is configuration (DATABASE_URL).
describeOnPostgres(describeAlarmEngineContract);
