import { type Severity, severityRank } from '../db/schema.js';
import { NOfM } from '../detectors/alarm-state.js';
import { PcaMonitor } from '../detectors/pca-monitor.detector.js';
import type { Comparison, Rule } from './rules.js';
import { type LineFit, WindowedRegression } from './windowed-regression.js';

/**
 * One rule on one device, as a pure state machine over readings (time from the readings):
 * normal → pending (raise condition holding, hold time running) → active → clearing (clear
 * condition holding) → normal. Its state is plain data so the hub can persist it and resume a
 * hold time after a restart at the moment it began.
 */
export type EvaluatorPhase = 'normal' | 'pending' | 'active' | 'clearing';

export interface EvaluatorState {
  phase: EvaluatorPhase;
  /** Pending since (hold time runs from here) or clearing since. */
  since: number | null;
  severity: Severity;
}

export type Transition =
  | { type: 'pending'; ts: number }
  | { type: 'pending_cancelled'; ts: number }
  | { type: 'raised'; ts: number; pendingSince: number; severity: Severity }
  | { type: 'severity'; ts: number; severity: Severity }
  | { type: 'clearing'; ts: number }
  | { type: 'clearing_cancelled'; ts: number }
  | { type: 'cleared'; ts: number };

/** What the rule saw: the values it compared, and a trend's prediction. */
export interface Observation {
  values: Record<string, number>;
  /** How far the learned relation is off, over its limit (anomaly rules; > 1 is beyond). */
  score?: number;
  /** Predicted ms until the trend reaches its limit (trend rules). */
  timeToLimitMs?: number;
  slopePerHour?: number;
}

/**
 * A device type's points as slots in an array: rules are compiled against slots, so judging a
 * reading indexes an array instead of looking names up. Unknown values are NaN.
 */
export class PointSlots {
  private readonly slots = new Map<string, number>();
  private readonly list: string[] = [];

  slot(name: string): number {
    let i = this.slots.get(name);
    if (i === undefined) {
      i = this.list.length;
      this.slots.set(name, i);
      this.list.push(name);
    }
    return i;
  }

  name(slot: number): string {
    return this.list[slot] as string;
  }

  get size(): number {
    return this.list.length;
  }
}

/** The latest value of each slot (NaN: never seen). */
export type SlotValues = number[];

enum Op {
  Gt,
  Ge,
  Lt,
  Le,
  Eq,
  Ne,
  OffLevel,
}
const OPS: Record<Comparison['op'], Op> = {
  '>': Op.Gt,
  '>=': Op.Ge,
  '<': Op.Lt,
  '<=': Op.Le,
  '==': Op.Eq,
  '!=': Op.Ne,
  off_level: Op.OffLevel,
};

interface Compiled {
  slot: number;
  op: Op;
  value: number;
  clear: number;
}

function compile(c: Comparison, slots: PointSlots): Compiled {
  return { slot: slots.slot(c.point), op: OPS[c.op], value: c.value, clear: c.clear ?? c.value };
}

function holds(op: Op, v: number, limit: number): boolean {
  switch (op) {
    case Op.Gt:
      return v > limit;
    case Op.Ge:
      return v >= limit;
    case Op.Lt:
      return v < limit;
    case Op.Le:
      return v <= limit;
    case Op.Eq:
      return v === limit;
    case Op.Ne:
      return v !== limit;
    case Op.OffLevel:
      return Math.abs(v - Math.round(v)) > limit;
  }
}

/** Appends a transition; the shared empty list is never written to. */
function add(out: Transition[], t: Transition): Transition[] {
  if (out === NONE) return [t];
  out.push(t);
  return out;
}

// Shared results: judging allocates nothing.
const NONE: Transition[] = [];
const NEITHER: [boolean, boolean] = [false, false];
const RAISE: [boolean, boolean] = [true, false];
const CLEAR: [boolean, boolean] = [false, true];
const BOTH: [boolean, boolean] = [true, true];

export class RuleEvaluator {
  private state: EvaluatorState;
  private readonly nOfM: NOfM | undefined;
  private readonly regression: WindowedRegression | undefined;
  private readonly line: LineFit = { slope: 0, level: 0, n: 0 };
  /** The trend's latest prediction (trend rules). */
  private eta = Number.POSITIVE_INFINITY;
  private slope: number | undefined;
  private readonly pointSlots: number[];
  private readonly when: Compiled[];
  private readonly guard: Compiled[];
  private readonly escalations: Array<{ rank: number; severity: Severity; when: Compiled[] }>;
  private readonly trendSlot: number;
  private readonly anomalySlots: number[];
  private readonly monitor: PcaMonitor | undefined;
  private readonly row: number[];
  private score = 0;

  constructor(
    readonly rule: Rule,
    readonly slots: PointSlots,
    initial?: EvaluatorState,
  ) {
    this.state = initial ? { ...initial } : { phase: 'normal', since: null, severity: rule.severity };
    this.nOfM = rule.n_of_m ? new NOfM(rule.n_of_m.n, rule.n_of_m.m) : undefined;
    this.regression = rule.trend ? new WindowedRegression(rule.trend.window) : undefined;
    this.pointSlots = this.points.map((name) => slots.slot(name));
    this.when = (rule.when ?? []).map((c) => compile(c, slots));
    this.guard = (rule.anomaly?.only_when ?? []).map((c) => compile(c, slots));
    this.escalations = rule.escalate.map((e) => ({
      rank: severityRank(e.severity),
      severity: e.severity,
      when: e.when.map((c) => compile(c, slots)),
    }));
    this.trendSlot = rule.trend ? slots.slot(rule.trend.point) : -1;
    this.anomalySlots = (rule.anomaly?.points ?? []).map((name) => slots.slot(name));
    // The relation model judges every row with its own hold times; the rule's come on top. The
    // rule names its points deliberately, so slow ones (flow following demand) stay in.
    this.monitor = rule.anomaly
      ? new PcaMonitor({ trainRows: rule.anomaly.train_rows, slowAutocorrelation: 1 })
      : undefined;
    this.row = new Array<number>(rule.anomaly?.points.length ?? 0).fill(0);
  }

  /**
   * What the rule saw at its latest judgement, for the alarm's evidence. Built on demand (on a
   * transition), so judging a reading allocates nothing.
   */
  observe(values: SlotValues): Observation {
    const seen: Record<string, number> = {};
    for (const slot of this.pointSlots) {
      const v = values[slot];
      if (v !== undefined && !Number.isNaN(v)) seen[this.slots.name(slot)] = v;
    }
    if (this.rule.anomaly) return { values: seen, score: this.score };
    if (!this.rule.trend) return { values: seen };
    return {
      values: seen,
      timeToLimitMs: this.eta,
      ...(this.slope !== undefined ? { slopePerHour: this.slope * 3600 } : {}),
    };
  }

  get snapshot(): EvaluatorState {
    return { ...this.state };
  }

  /** The points this rule reads. */
  get points(): string[] {
    const { rule } = this;
    const names = [
      ...(rule.when ?? []).map((c) => c.point),
      ...rule.escalate.flatMap((e) => e.when.map((c) => c.point)),
    ];
    if (rule.trend) names.push(rule.trend.point);
    if (rule.anomaly) names.push(...rule.anomaly.points, ...rule.anomaly.only_when.map((c) => c.point));
    return [...new Set(names)];
  }

  /**
   * Judges the device's values at `ts` (the latest known value of each point); returns what
   * changed (usually nothing). A point the rule needs that was never seen: nothing is judged.
   */
  update(ts: number, values: SlotValues): Transition[] {
    const judged = this.judge(ts, values);
    if (!judged) return NONE;
    const [raise, clear] = judged;
    const { rule } = this;
    // Most readings change nothing: allocate only when something happens.
    let out: Transition[] = NONE;
    const s = this.state;
    switch (s.phase) {
      case 'normal':
      case 'pending': {
        if (raise) {
          if (s.phase === 'normal') {
            s.phase = 'pending';
            s.since = ts;
            if (rule.raise_after > 0) out = add(out, { type: 'pending', ts });
          }
          const since = s.since ?? ts;
          if (ts - since >= rule.raise_after) {
            s.phase = 'active';
            s.since = null;
            s.severity = this.escalated(values, rule.severity);
            out = add(out, {
              type: 'raised',
              ts: since + rule.raise_after,
              pendingSince: since,
              severity: s.severity,
            });
          }
        } else if (clear && s.phase === 'pending') {
          s.phase = 'normal';
          s.since = null;
          out = add(out, { type: 'pending_cancelled', ts });
        }
        break;
      }
      case 'active':
      case 'clearing': {
        if (s.phase === 'active' || raise) {
          const severity = this.escalated(values, s.severity);
          if (severity !== s.severity) {
            s.severity = severity;
            out = add(out, { type: 'severity', ts, severity });
          }
        }
        if (raise && s.phase === 'clearing') {
          s.phase = 'active';
          s.since = null;
          out = add(out, { type: 'clearing_cancelled', ts });
        } else if (clear) {
          if (s.phase === 'active') {
            s.phase = 'clearing';
            s.since = ts;
            if (rule.clear_after > 0) out = add(out, { type: 'clearing', ts });
          }
          const since = s.since ?? ts;
          if (ts - since >= rule.clear_after) {
            s.phase = 'normal';
            s.since = null;
            s.severity = rule.severity;
            out = add(out, { type: 'cleared', ts: since + rule.clear_after });
          }
        }
        break;
      }
    }
    return out;
  }

  /** [raise condition, clear condition], or null when a point it needs is unknown. */
  private judge(ts: number, values: SlotValues): [boolean, boolean] | null {
    const { rule } = this;
    let raise: boolean;
    let clear: boolean;
    const trend = rule.trend;
    if (rule.anomaly) {
      for (const c of this.guard) {
        const v = values[c.slot] ?? Number.NaN;
        if (Number.isNaN(v) || !holds(c.op, v, c.value)) return null;
      }
      for (let i = 0; i < this.anomalySlots.length; i += 1) {
        const v = values[this.anomalySlots[i] as number] ?? Number.NaN;
        if (Number.isNaN(v)) return null;
        this.row[i] = v;
      }
      const verdict = (this.monitor as PcaMonitor).update(ts, this.row);
      this.score = verdict.score;
      if (!verdict.fitted) return NEITHER;
      raise = verdict.active;
      clear = !verdict.active;
    } else if (trend) {
      const value = values[this.trendSlot] ?? Number.NaN;
      if (Number.isNaN(value)) return null;
      const regression = this.regression as WindowedRegression;
      regression.add(ts, value);
      const sign = trend.direction === 'rising' ? 1 : -1;
      const fitted = regression.fit(ts, trend.min_points, this.line);
      const fit = this.line;
      this.slope = fitted ? fit.slope : undefined;
      if (sign * (value - trend.limit) >= 0) this.eta = 0;
      else if (fitted && sign * fit.slope > 0)
        this.eta = Math.max(0, ((trend.limit - fit.level) / fit.slope) * 1000);
      else this.eta = Number.POSITIVE_INFINITY;
      if (!fitted && this.eta !== 0) return NEITHER;
      raise = this.eta <= trend.horizon;
      clear = this.eta > 1.5 * trend.horizon;
    } else {
      raise = true;
      clear = false;
      const when = this.when;
      for (let i = 0; i < when.length; i += 1) {
        const c = when[i] as Compiled;
        const value = values[c.slot] ?? Number.NaN;
        if (Number.isNaN(value)) return null;
        if (!holds(c.op, value, c.value)) raise = false;
        if (!holds(c.op, value, c.clear)) clear = true;
      }
    }
    if (this.nOfM) {
      raise = this.nOfM.step(raise);
      clear = clear && !raise;
    }
    return raise ? (clear ? BOTH : RAISE) : clear ? CLEAR : NEITHER;
  }

  private escalated(values: SlotValues, current: Severity): Severity {
    let severity = current;
    for (const step of this.escalations) {
      if (step.rank <= severityRank(severity)) continue;
      const all = step.when.every((c) => {
        const v = values[c.slot] ?? Number.NaN;
        return !Number.isNaN(v) && holds(c.op, v, c.value);
      });
      if (all) severity = step.severity;
    }
    return severity;
  }
}
