import { PowerMeterModel } from '@caretaker/simulators';
import { describe, expect, it } from 'vitest';
import { PointSlots, RuleEvaluator, type SlotValues, type Transition } from './rule-evaluator.js';
import { loadRules, parseRules, type RuleFileInput } from './rules.js';

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

  it('a trend refitted once per bucket still raises at once on a reading past its limit', () => {
    const e = evaluator({
      id: 'trend',
      device_type: 'pump',
      title: 'vibration will reach zone D',
      problem_type: 'pump_vibration',
      severity: 'warning',
      // Buckets of 10 s: readings each second are refitted every tenth.
      trend: { point: 'v', direction: 'rising', limit: 7.1, window: '640s', horizon: '15m', min_points: 10 },
    });
    const rows: Array<[number, Record<string, number>]> = [];
    for (let s = 0; s < 120; s += 1) rows.push([s * 1000, { v: 2 }]); // flat: no prediction
    expect(feed(e, rows)).toEqual([]);
    // A jump past the limit between two refits: raised on that very reading.
    expect(feed(e, [[120_500, { v: 8 }]]).map((t) => [t.type, t.ts])).toEqual([['raised', 120_500]]);
  });

  it('between refits the prediction counts down with time', () => {
    const e = evaluator({
      id: 'trend',
      device_type: 'pump',
      title: 'bearing will overheat',
      problem_type: 'pump_bearing',
      severity: 'warning',
      trend: { point: 'temp', direction: 'rising', limit: 80, window: '640s', horizon: '1h', min_points: 10 },
    });
    const etas: number[] = [];
    for (let s = 0; s < 200; s += 1) {
      const values = new Map([['temp', 50 + s / 60]]); // +1 °C a minute
      feed(e, [[s * 1000, Object.fromEntries(values)]]);
      etas.push(e.observe(slotted(e, values)).timeToLimitMs ?? Number.NaN);
    }
    // 80 °C is reached at s = 1800: the prediction stays within a second of the truth.
    for (let s = 50; s < 200; s += 1)
      expect(Math.abs((etas[s] as number) - (1800 - s) * 1000)).toBeLessThan(1000);
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

describe('rules comparing one point with another', () => {
  const imbalance = () =>
    evaluator({
      id: 'imbalance',
      device_type: 'power_meter',
      title: 'phases unbalanced',
      problem_type: 'power_quality',
      severity: 'warning',
      when: [
        { expr: 'mean(l1, l2, l3)', op: '>', value: 20, clear: 15 },
        { expr: 'imbalance(l1, l2, l3)', op: '>', value: 0.3, clear: 0.2 },
      ],
      raise_after: '30s',
      clear_after: '60s',
      escalate: [{ severity: 'major', when: [{ expr: 'imbalance(l1, l2, l3)', op: '>', value: 0.5 }] }],
    });

  it('raises on the relation between points, escalates, and shows the computed values', () => {
    const e = imbalance();
    const t = feed(e, [
      [0, { l1: 110, l2: 100, l3: 90 }], // 10 %
      [10_000, { l1: 140, l2: 85, l3: 75 }], // 40 %: pending
      [40_000, { l1: 140, l2: 85, l3: 75 }], // held 30 s: raised, warning
      [50_000, { l1: 180, l2: 60, l3: 60 }], // 80 %: major
      [60_000, { l1: 125, l2: 100, l3: 75 }], // 25 %: neither raise nor clear
      [70_000, { l1: 105, l2: 100, l3: 95 }], // 5 %: clearing
      [130_000, { l1: 105, l2: 100, l3: 95 }],
    ]);
    expect(t.map((x) => [x.type, x.ts, 'severity' in x ? x.severity : ''])).toEqual([
      ['pending', 10_000, ''],
      ['raised', 40_000, 'warning'],
      ['severity', 50_000, 'major'],
      ['clearing', 70_000, ''],
      ['cleared', 130_000, ''],
    ]);
    const obs = e.observe(
      slotted(
        e,
        new Map([
          ['l1', 140],
          ['l2', 85],
          ['l3', 75],
        ]),
      ),
    );
    expect(obs.values['imbalance(l1, l2, l3)']).toBeCloseTo(0.4, 12);
    expect(obs.values['mean(l1, l2, l3)']).toBe(100);
    expect(obs.values.l1).toBe(140);
  });

  it('judges nothing while a point it reads was never seen', () => {
    const e = imbalance();
    expect(
      feed(e, [
        [0, { l1: 300, l2: 10 }],
        [60_000, { l1: 300, l2: 10 }],
      ]),
    ).toEqual([]);
  });

  it('clears, not freezes, when the expression cannot be computed (no load at all)', () => {
    const e = imbalance();
    const t = feed(e, [
      [0, { l1: 180, l2: 60, l3: 60 }],
      [30_000, { l1: 180, l2: 60, l3: 60 }],
      [40_000, { l1: 0, l2: 0, l3: 0 }], // mean 0: imbalance undefined, below the load guard
      [100_000, { l1: 0, l2: 0, l3: 0 }],
    ]);
    expect(t.map((x) => x.type)).toEqual(['pending', 'raised', 'clearing', 'cleared']);
  });
});

describe('the shipped power-room rules on the simulated power meter', () => {
  const T = Date.UTC(2026, 0, 5);
  /** Steps the simulator's power meter each second; returns the power rules' raised alarms. */
  function run(seconds: number, faultAt?: number): string[] {
    const rules = loadRules().rules.filter((r) => r.device_type === 'power_meter');
    const meter = new PowerMeterModel({ startMs: T, seed: 3 });
    const slots = new PointSlots();
    const evaluators = rules.map((r) => new RuleEvaluator(r, slots));
    const values: SlotValues = [];
    const raised: string[] = [];
    for (let s = 1; s <= seconds; s += 1) {
      if (s === faultAt) meter.condition.phaseImbalance = 1;
      meter.step(T + s * 1000);
      for (const [point, v] of Object.entries(meter.values())) {
        const slot = slots.slot(point);
        while (values.length <= slot) values.push(Number.NaN);
        values[slot] = Number(v);
      }
      for (const e of evaluators) {
        for (const t of e.update(T + s * 1000, values))
          if (t.type === 'raised') raised.push(`${e.rule.id} ${t.severity} +${s - (faultAt ?? 0)}s`);
      }
    }
    return raised;
  }

  it('two hours of healthy running (single-phase loads wandering) raise nothing', () => {
    expect(run(7200)).toEqual([]);
  });

  it('loads piled onto one phase raise phase imbalance, major, after its 30 s hold', () => {
    expect(run(300, 60)).toEqual(['power.phase_imbalance major +30s']);
  });
});
