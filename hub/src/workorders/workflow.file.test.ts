import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@caretaker/protocol/log';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Maintenance } from '../alarms/maintenance.js';
import { loadHubConfig } from '../config.js';
import { LiveStateService } from '../services/live-state.service.js';
import { describeWorkflow, loadWorkflow, parseWorkflow } from './workflow.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-workflow-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('workflow-test');
log.level = 'silent';

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : stringify(content));
  return path;
}

const accept = { name: 'accept', from: ['pending_acceptance'], to: 'to_dispatch', roles: ['supervisor'] };

describe('the workflow file', () => {
  it('ships the lifecycle of DOMAIN.md as its default', () => {
    const workflow = loadWorkflow();
    expect(workflow.actions.map((a) => a.name)).toEqual([
      'accept',
      'dispatch',
      'grab',
      'submit_for_check',
      'pass_check',
      'reject',
      'close',
      'rate',
      'reassign',
      'request_assistance',
      'request_defer',
      'approve_defer',
      'decline_defer',
      'resume',
      'cancel',
    ]);
    const described = describeWorkflow(workflow).actions.find((a) => a.name === 'cancel');
    expect(described?.roles).toContainEqual({
      role: 'any',
      must_be: 'requester',
      from: ['pending_acceptance'],
    });
    expect(described?.body).toEqual({ required: ['reason'], optional: [] });
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown status', { actions: [{ ...accept, to: 'fixed' }] }, /actions\.0\.to: /],
    ['an unknown role', { actions: [{ ...accept, roles: ['janitor'] }] }, /actions\.0\.roles\.0: /],
    [
      'an effect without its field',
      { actions: [{ ...accept, effect: 'assign' }] },
      /actions\.0\.body\.required: effect assign needs assignee to be required/,
    ],
    ['a duplicate name', { actions: [accept, accept] }, /actions\.1\.name: duplicate action accept/],
    [
      'a role narrowed to a status the action does not take',
      { actions: [{ ...accept, roles: [{ role: 'requester', from: ['closed'] }] }] },
      /actions\.0\.roles\.0\.from: closed is not one of the action's from statuses/,
    ],
    [
      'an unknown body field',
      { actions: [{ ...accept, body: { required: ['colour'] } }] },
      /actions\.0\.body\.required\.0: /,
    ],
    ['no actions', { actions: [] }, /actions: /],
    ['broken YAML', 'actions: [', /invalid YAML/],
  ])('refuses %s, naming the file and the path', (_what, content, message) => {
    const path = file('bad.yaml', content);
    expect(() => loadWorkflow(path)).toThrow(new RegExp(`^workflow file ${path}: `));
    expect(() => loadWorkflow(path)).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => loadWorkflow(join(dir, 'none.yaml'))).toThrow(/workflow file .*none\.yaml: file not found/);
  });

  it('builds strict body schemas from the table', () => {
    const workflow = parseWorkflow({
      actions: [{ ...accept, body: { required: ['reason'], optional: ['until'] } }],
    });
    const schema = workflow.action('accept')?.bodySchema;
    expect(schema?.safeParse({ reason: 'x', until: 5, note: 'n' }).success).toBe(true);
    expect(schema?.safeParse({ until: 5 }).success).toBe(false);
    expect(schema?.safeParse({ reason: 'x', rating: 3 }).success).toBe(false);
  });

  it('is replaced by HUB_WORKFLOW_FILE, and a bad one stops the hub at start', async () => {
    const custom = file('custom.yaml', {
      actions: [
        accept,
        {
          name: 'start',
          from: ['to_dispatch'],
          to: 'in_repair',
          roles: ['technician'],
          effect: 'self_assign',
        },
      ],
    });
    const config = loadHubConfig({ HUB_WORKFLOW_FILE: custom, DATA_DIR: dir });
    expect(config.maintenance?.workflowFile).toBe(custom);
    const live = new LiveStateService();
    const maintenance = await Maintenance.open(
      {
        ...(config.maintenance ?? { database: { kind: 'sqlite', path: ':memory:' } }),
        database: { kind: 'sqlite', path: join(dir, 'c.db') },
      },
      live,
      log,
    );
    try {
      expect(maintenance.lifecycle.workflow.workflow.actions.map((a) => a.name)).toEqual(['accept', 'start']);
    } finally {
      await maintenance.close();
    }
    const bad = file('bad-start.yaml', { actions: [{ ...accept, to: 'somewhere' }] });
    await expect(
      Maintenance.open(
        { database: { kind: 'sqlite', path: join(dir, 'd.db') }, workflowFile: bad },
        live,
        log,
      ),
    ).rejects.toThrow(new RegExp(`workflow file ${bad}: actions\\.0\\.to`));
  });
});
