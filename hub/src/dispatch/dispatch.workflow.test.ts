import { readYamlFileSync } from '@caretaker/protocol/yaml-file';
import { sqliteDatabases } from '../../../test/support/contract-databases.js';
import { DEFAULT_WORKFLOW_FILE, parseWorkflow } from '../workorders/workflow.js';
import { WorkflowService } from '../workorders/workflow.service.js';
import { describeDispatchContract } from './dispatch.contract.js';

/**
 * The dispatch table of cases again, dispatching through the lifecycle's transition table
 * (WorkflowService.perform as the system actor, its own assignee check), as the hub does.
 * Skipping acceptance needs the table to let the system accept; the shipped table plus that.
 */
const table = readYamlFileSync(DEFAULT_WORKFLOW_FILE, 'workflow') as {
  actions: Array<{ name: string; roles: unknown[] }>;
};
for (const action of table.actions) {
  if (action.name === 'accept' && !action.roles.includes('system')) action.roles.push('system');
}
const workflow = parseWorkflow(table, 'workflow with system acceptance');

describeDispatchContract(
  'SQLite, through the transition table',
  sqliteDatabases('dispatch-wf'),
  true,
  (database, orders, now) => {
    const service = new WorkflowService({ db: database.db, orders, workflow, now });
    return (id, action, actor, body) => service.perform(id, action, actor, body);
  },
);
