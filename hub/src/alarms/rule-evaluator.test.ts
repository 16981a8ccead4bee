import { describe, expect, it } from 'vitest';
import { PointSlots, RuleEvaluator, type SlotValues, type Transition } from './rule-evaluator.js';
import { parseRules, type RuleFileInput } from './rules.js';

function evaluator(rule: RuleFileInput['rules'][number]): RuleEvaluator {
  const [parsed] = parseRules({ rules: [rule] }).rules;
  if (!parsed) throw new Error('no rule');
  return new RuleEvaluator(parsed, new PointSlots());
}

/** The evaluator's slot array for named values. */
function slotted(e: RuleEvaluator, named: Map<string, number>): SlotValues {
  const values: SlotValues = [];
  for (const [name, v] of named) {
    const slot = e.slots.slot(name);
    while (values.length <= slot) values.push(Number.NaN);
    values[slot] = v;
  }
  return values;
}

function feed(e: RuleEvaluator, rows: Array<[number, Record<string, number>]>): Transition[] {
  const values = new Map<string, number>();
  const out: Transition[] = [];
  for (const [ts, row] of rows) {
    for (const [k, v] of Object.entries(row)) values.set(k, v);
    out.push(...e.update(ts, slotted(e, values)));
  }
  return out;
}

describe('rule evaluator', () => {
  it('a condition across points raises after its hold time and clears only past its clear value', () => {
    const e = evaluator({
      id: 'low',
      device_type: 'pump',
      title: 'low pressure while running',
      problem_type: 'pump_pressure',
      severity: 'major',
      when: [
        { point: 'running', op: '==', value: 1 },
        { point: 'p', op: '<', value: 1.5, clear: 1.8 },
      ],
      raise_after: '30s',
      clear_after: '10s',
    });
    const t = feed(e, [
      [0, { running: 1, p: 1.4 }],
      [20_000, { running: 1, p: 1.3 }],
      [30_000, { running: 1, p: 1.2 }],
      [40_000, { running: 1, p: 1.6 }], // between: neither raise nor clear, the alarm holds
      [50_000, { running: 1, p: 1.7 }],
      [60_000, { running: 0, p: 1.7 }], // pump stopped: the condition is gone
      [75_000, { running: 0, p: 1.7 }],
    ]);
    expect(t.map((x) => [x.type, x.ts])).toEqual([
      ['pending', 0],
      ['raised', 30_000],
      ['clearing', 60_000],
      ['cleared', 70_000],
    ]);
  });

  it('a point never seen judges nothing', () => {
    const e = evaluator({
      id: 'x',
      device_type: 'pump',
      title: 'x',
      problem_type: 'x',
      severity: 'info',
      when: [{ point: 'missing', op: '>', value: 1 }],
    });
    expect(feed(e, [[0, { other: 5 }]])).toEqual([]);
  });

  it('a trend raises with its predicted time to the limit while there is time to act', () => {
    const e = evaluator({
      id: 'trend',
      device_type: 'pump',
      title: 'bearing will overheat',
      problem_type: 'pump_bearing',
      severity: 'warning',
      trend: { point: 'temp', direction: 'rising', limit: 80, window: '10m', horizon: '1h', min_points: 10 },
    });
    // +1 °C a minute from 50 °C: 80 °C in 30 minutes from the start.
    const rows: Array<[number, Record<string, number>]> = [];
    for (let s = 0; s <= 300; s += 5) rows.push([s * 1000, { temp: 50 + s / 60 }]);
    const t = feed(e, rows);
    expect(t[0]?.type).toBe('raised');
    const obs = e.observe(slotted(e, new Map([['temp', 55]])));
    expect(obs.timeToLimitMs).toBeGreaterThan(24 * 60_000);
    expect(obs.timeToLimitMs).toBeLessThan(26 * 60_000);
  });

  it('learned behaviour flags a broken relation between points, and only while the guard holds', () => {
    const e = evaluator({
      id: 'behaviour',
      device_type: 'pump',
      title: 'unusual',
      problem_type: 'pump_performance',
      severity: 'warning',
      anomaly: {
        points: ['flow', 'current'],
        train_rows: 800,
        only_when: [{ point: 'running', op: '==', value: 1 }],
      },
      raise_after: '30s',
    });
    let seed = 7;
    const noise = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    const rows: Array<[number, Record<string, number>]> = [];
    // Normal running: current follows flow (demand varies slowly).
    for (let s = 0; s < 1200; s += 1) {
      const flow = 20 + 5 * Math.sin(s / 120) + noise() * 0.3;
      rows.push([s * 1000, { running: 1, flow, current: 10 + 0.4 * flow + noise() * 0.1 }]);
    }
    const normal = feed(e, rows);
    expect(normal).toEqual([]);
    // Stopped: not judged at all.
    expect(feed(e, [[1_200_000, { running: 0, flow: 0, current: 0 }]])).toEqual([]);
    // Clogging: current up while flow falls.
    const fault: Array<[number, Record<string, number>]> = [];
    for (let s = 1201; s < 1500; s += 1) {
      const flow = 12 + noise() * 0.3;
      fault.push([s * 1000, { running: 1, flow, current: 22 + noise() * 0.1 }]);
    }
    expect(feed(e, fault).map((t) => t.type)).toContain('raised');
  });
});
