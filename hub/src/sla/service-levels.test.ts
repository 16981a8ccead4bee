import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from '../alarms/rules.js';
import { DispatchRules } from '../dispatch/dispatch-rules.js';
import { ServiceLevels } from './service-levels.js';
import { TEST_LEVELS } from './sla.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-levels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MIN = 60_000;

function fileWith(text: string): string {
  const path = join(dir, `levels-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('service levels file', () => {
  it('ships a valid file that names every problem type of the rule pack, the trapped passenger first', () => {
    const levels = ServiceLevels.load();
    const types = new Set(loadRules().rules.map((r) => r.problem_type));
    for (const type of types) expect(levels.file.problem_types[type], type).toBeDefined();
    const trapped = levels.forOrder('elevator_trapped', 4);
    expect(trapped.priority).toBe(1);
    for (const type of Object.keys(levels.file.problem_types)) {
      expect(levels.forOrder(type, 4).responseMs).toBeGreaterThanOrEqual(trapped.responseMs);
    }
  });

  it('ships dispatch rules for every problem type the service levels name', () => {
    const levels = ServiceLevels.load();
    const rules = DispatchRules.load();
    for (const type of Object.keys(levels.file.problem_types)) {
      expect(rules.file.problem_types[type], type).toBeDefined();
    }
    expect(rules.forType('elevator_trapped')).toMatchObject({
      skill: 'elevator',
      auto: true,
      skip_acceptance: true,
    });
  });

  it('takes the type’s priority and limits, the priority defaults for unknown types, the tighter of both', () => {
    const levels = ServiceLevels.parse({
      ...TEST_LEVELS,
      problem_types: { pump_leak: { priority: 2, completion: '2d' }, ...TEST_LEVELS.problem_types },
    });
    expect(levels.forOrder('elevator_trapped', 4)).toMatchObject({
      priority: 1,
      responseMs: 10 * MIN,
      escalateEveryMs: 5 * MIN,
    });
    expect(levels.forOrder('unknown_thing', 3)).toMatchObject({
      priority: 3,
      responseMs: 240 * MIN,
      source: 'priority 3 (normal)',
    });
    // Its own completion limit (2 days) is longer than priority 2's default (8 h): it stands.
    expect(levels.forOrder('pump_leak', 2)).toMatchObject({
      priority: 2,
      responseMs: 60 * MIN,
      completionMs: 2 * 24 * 60 * MIN,
    });
    // Raised to priority 1 by a critical alarm: never looser than priority 1's defaults.
    expect(levels.forOrder('pump_leak', 1)).toMatchObject({
      priority: 1,
      responseMs: 10 * MIN,
      completionMs: 60 * MIN,
    });
  });

  it('refuses a bad file with every error named by file and field', () => {
    const path = fileWith(`
priorities:
  1: { name: emergency, response: 15m, completion: 10m, escalate_every: 15m }
  2: { name: urgent, response: 1h, completion: 24h, escalate_every: soon }
  3: { name: normal, response: 4h, completion: 3d, escalate_every: 4h }
  4: { name: low, response: 24h, completion: 7d, escalate_every: 24h }
problem_types:
  elevator_trapped: { priority: 0 }
  Bad-Type: { priority: 2 }
`);
    let message = '';
    try {
      ServiceLevels.load(path);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`service levels file ${path}`);
    expect(message).toContain('priorities.1.completion: must not be shorter than response');
    expect(message).toContain('priorities.2.escalate_every: must be a duration');
    expect(message).toContain('problem_types.elevator_trapped.priority: must be 1 (most urgent) to 4');
    expect(message).toContain('problem_types.Bad-Type');
  });

  it('names a missing file', () => {
    expect(() => ServiceLevels.load(join(dir, 'nope.yaml'))).toThrow(
      `service levels file ${join(dir, 'nope.yaml')}: file not found`,
    );
  });
});

describe('dispatch rules file', () => {
  it('refuses an unknown time zone and skip_acceptance without auto, naming the fields', () => {
    const path = fileWith(`
timezone: Asia/Shangai
problem_types:
  elevator_trapped: { skill: elevator, skip_acceptance: true }
  hvac: { skill: Refrigeration }
`);
    let message = '';
    try {
      DispatchRules.load(path);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`dispatch file ${path}`);
    expect(message).toContain('timezone: must be an IANA time zone');
    expect(message).toContain('problem_types.elevator_trapped.skip_acceptance: needs auto: true');
    expect(message).toContain('problem_types.hvac.skill: must be a skill id');
  });
});
