import { type Severity, severityRank } from '../db/schema.js';
import { NOfM } from '../detectors/alarm-state.js';
import { PcaMonitor } from '../detectors/pca-monitor.detector.js';
import { type Comparison, compare, type Rule } from './rules.js';
import { WindowedRegression } from './windowed-regression.js';

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
  /** The trend's latest prediction (trend rules). */
  private eta = Number.POSITIVE_INFINITY;
  private slope: number | undefined;
  private readonly pointNames: string[];
  private readonly monitor: PcaMonitor | undefined;
  private readonly row: number[];
  private score = 0;

  constructor(
    readonly rule: Rule,
    initial?: EvaluatorState,
  ) {
    this.state = initial ? { ...initial } : { phase: 'normal', since: null, severity: rule.severity };
    this.nOfM = rule.n_of_m ? new NOfM(rule.n_of_m.n, rule.n_of_m.m) : undefined;
    this.regression = rule.trend ? new WindowedRegression(rule.trend.window) : undefined;
    this.pointNames = this.points;
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
  observe(values: ReadonlyMap<string, number>): Observation {
    const seen: Record<string, number> = {};
    for (const name of this.pointNames) {
      const v = values.get(name);
      if (v !== undefined) seen[name] = v;
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
  update(ts: number, values: ReadonlyMap<string, number>): Transition[] {
    const judged = this.judge(ts, values);
    if (!judged) return [];
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
            if (rule.raise_after > 0) (out = out === NONE ? [] : out).push({ type: 'pending', ts });
          }
          const since = s.since ?? ts;
          if (ts - since >= rule.raise_after) {
            s.phase = 'active';
            s.since = null;
            s.severity = this.escalated(values, rule.severity);
            (out = out === NONE ? [] : out).push({
              type: 'raised',
              ts: since + rule.raise_after,
              pendingSince: since,
              severity: s.severity,
            });
          }
        } else if (clear && s.phase === 'pending') {
          s.phase = 'normal';
          s.since = null;
          (out = out === NONE ? [] : out).push({ type: 'pending_cancelled', ts });
        }
        break;
      }
      case 'active':
      case 'clearing': {
        if (s.phase === 'active' || raise) {
          const severity = this.escalated(values, s.severity);
          if (severity !== s.severity) {
            s.severity = severity;
            (out = out === NONE ? [] : out).push({ type: 'severity', ts, severity });
          }
        }
        if (raise && s.phase === 'clearing') {
          s.phase = 'active';
          s.since = null;
          (out = out === NONE ? [] : out).push({ type: 'clearing_cancelled', ts });
        } else if (clear) {
          if (s.phase === 'active') {
            s.phase = 'clearing';
            s.since = ts;
            if (rule.clear_after > 0) (out = out === NONE ? [] : out).push({ type: 'clearing', ts });
          }
          const since = s.since ?? ts;
          if (ts - since >= rule.clear_after) {
            s.phase = 'normal';
            s.since = null;
            s.severity = rule.severity;
            (out = out === NONE ? [] : out).push({ type: 'cleared', ts: since + rule.clear_after });
          }
        }
        break;
      }
    }
    return out;
  }

  /** [raise condition, clear condition], or null when a point it needs is unknown. */
  private judge(ts: number, values: ReadonlyMap<string, number>): [boolean, boolean] | null {
    const { rule } = this;
    let raise: boolean;
    let clear: boolean;
    const trend = rule.trend;
    const anomaly = rule.anomaly;
    if (anomaly) {
      for (const c of anomaly.only_when) {
        const v = values.get(c.point);
        if (v === undefined || !compare(c, v)) return null;
      }
      for (let i = 0; i < anomaly.points.length; i += 1) {
        const v = values.get(anomaly.points[i] as string);
        if (v === undefined) return null;
        this.row[i] = v;
      }
      const verdict = (this.monitor as PcaMonitor).update(ts, this.row);
      this.score = verdict.score;
      if (!verdict.fitted) return NEITHER;
      raise = verdict.active;
      clear = !verdict.active;
    } else if (trend) {
      const value = values.get(trend.point);
      if (value === undefined) return null;
      const regression = this.regression as WindowedRegression;
      regression.add(ts, value);
      const sign = trend.direction === 'rising' ? 1 : -1;
      const fit = regression.fit(ts, trend.min_points);
      this.slope = fit?.slope;
      if (sign * (value - trend.limit) >= 0) this.eta = 0;
      else if (fit && sign * fit.slope > 0)
        this.eta = Math.max(0, ((trend.limit - fit.level) / fit.slope) * 1000);
      else this.eta = Number.POSITIVE_INFINITY;
      if (!fit && this.eta !== 0) return NEITHER;
      raise = this.eta <= trend.horizon;
      clear = this.eta > 1.5 * trend.horizon;
    } else {
      raise = true;
      clear = false;
      const when = rule.when ?? [];
      for (let i = 0; i < when.length; i += 1) {
        const c = when[i] as Comparison;
        const value = values.get(c.point);
        if (value === undefined) return null;
        if (!compare(c, value)) raise = false;
        if (!compare(c, value, true)) clear = true;
      }
    }
    if (this.nOfM) {
      raise = this.nOfM.step(raise);
      clear = clear && !raise;
    }
    return raise ? (clear ? BOTH : RAISE) : clear ? CLEAR : NEITHER;
  }

  private escalated(values: ReadonlyMap<string, number>, current: Severity): Severity {
    let severity = current;
    for (const step of this.rule.escalate) {
      if (severityRank(step.severity) <= severityRank(severity)) continue;
      const holds = step.when.every((c) => {
        const v = values.get(c.point);
        return v !== undefined && compare(c, v);
      });
      if (holds) severity = step.severity;
    }
    return severity;
  }
}
