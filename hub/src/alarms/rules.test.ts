import { describe, expect, it } from 'vitest';
import { comparisonPoints, loadRules, parseRules, type RuleFileInput } from './rules.js';

const rule = (when: unknown[]): RuleFileInput =>
  ({
    rules: [
      {
        id: 'power.x',
        device_type: 'power_meter',
        title: 'x',
        problem_type: 'power_quality',
        severity: 'warning',
        when,
      },
    ],
  }) as RuleFileInput;

describe('rule files', () => {
  it('the shipped pack loads, phase imbalance included as a comparison across points', () => {
    const rules = loadRules();
    const imbalance = rules.rules.find((r) => r.id === 'power.phase_imbalance');
    expect(imbalance?.device_type).toBe('power_meter');
    expect([...new Set(imbalance?.when?.flatMap(comparisonPoints))]).toEqual([
      'current_l1',
      'current_l2',
      'current_l3',
    ]);
  });

  it('takes an expression in place of a point', () => {
    const parsed = parseRules(
      rule([{ expr: 'imbalance(current_l1, current_l2, current_l3)', op: '>', value: 0.3 }]),
    );
    expect(parsed.rules[0]?.when?.[0]).toMatchObject({
      expr: 'imbalance(current_l1, current_l2, current_l3)',
    });
  });

  it.each([
    [
      'an unknown function',
      [
        { point: 'current_l1', op: '>', value: 1 },
        { expr: 'unbalance(current_l1, current_l2)', op: '>', value: 0.3 },
      ],
      'rules file test.yaml: rules.0.when.1.expr: unknown function unbalance',
    ],
    [
      'a syntax error',
      [{ expr: 'imbalance(current_l1, current_l2', op: '>', value: 0.3 }],
      'rules.0.when.0.expr: Expected',
    ],
    [
      'both point and expr',
      [{ point: 'a', expr: 'a * 2', op: '>', value: 1 }],
      'rules.0.when.0.point: give exactly one of',
    ],
    ['neither point nor expr', [{ op: '>', value: 1 }], 'rules.0.when.0.point: give exactly one of'],
    [
      'a comparison inside an expression',
      [{ expr: 'a > 2', op: '==', value: 1 }],
      'rules.0.when.0.expr: operator >',
    ],
  ])('refuses %s, naming where', (_name, when, message) => {
    expect(() => parseRules(rule(when), 'rules file test.yaml')).toThrow(message);
  });

  it('checks expressions in escalations and guards too', () => {
    const input = rule([{ point: 'a', op: '>', value: 1 }]);
    const r = input.rules[0] as Record<string, unknown>;
    r.escalate = [{ severity: 'major', when: [{ expr: 'max(a)', op: '>', value: 2 }] }];
    expect(() => parseRules(input)).toThrow(
      'rules.0.escalate.0.when.0.expr: max takes 2 to 32 arguments, not 1',
    );
  });
});
