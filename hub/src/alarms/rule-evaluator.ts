import { type Severity, severityRank } from '../db/schema.js';
import { NOfM } from '../detectors/alarm-state.js';
import { PcaMonitor, type PcaMonitorState } from '../detectors/pca-monitor.detector.js';
import { compileExpression, type Evaluate, parseExpression } from './expression.js';
import { type Comparison, comparisonPoints, comparisonSubject, type Rule } from './rules.js';
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

/** A comparison compiled against slots: every one has the same shape, so judging stays monomorphic. */
interface Compiled {
  /** The point's slot, or -1 for an expression. */
  slot: number;
  /** The expression (null for a point). */
  expr: Evaluate | null;
  /** The slots an expression reads: it is unknown while any of them is. */
  inputs: Int32Array;
  /** The point or the expression's text, for the evidence. */
  subject: string;
  op: Op;
  value: number;
  clear: number;
}

function compile(c: Comparison, slots: PointSlots): Compiled {
  const expression = c.expr === undefined ? undefined : parseExpression(c.expr);
  const slotOf = (name: string) => slots.slot(name);
  return {
    slot: expression ? -1 : slots.slot(c.point as string),
    expr: expression ? compileExpression(expression, slotOf) : null,
    inputs: Int32Array.from(expression ? expression.points.map(slotOf) : []),
    subject: comparisonSubject(c),
    op: OPS[c.op],
    value: c.value,
    clear: c.clear ?? c.value,
  };
}

/** Whether every point a comparison reads is known (seen, so not NaN). */
function known(c: Compiled, values: SlotValues): boolean {
  if (c.expr === null) {
    const v = values[c.slot];
    return v !== undefined && !Number.isNaN(v);
  }
  const inputs = c.inputs;
  for (let i = 0; i < inputs.length; i += 1) {
    const v = values[inputs[i] as number];
    if (v === undefined || Number.isNaN(v)) return false;
  }
  return true;
}

/**
 * The value a comparison looks at, once `known`. An expression over known points may still be
 * NaN (a zero mean): no comparison holds for it then.
 */
function read(c: Compiled, values: SlotValues): number {
  return c.expr === null ? (values[c.slot] as number) : c.expr(values);
}

const KNOWN = 1;
const AT_RAISE = 2;
const AT_CLEAR = 4;
/** An expression's value on its way to a comparison (see `compare`). */
const scratch = new Float64Array(1);

/**
 * KNOWN (every point it reads is), AT_RAISE (it holds against its raise value) and AT_CLEAR
 * (against its clear value) bits of a comparison. No number leaves this function, and a point's
 * value and an expression's meet only as numbers: a value crossing a call that is not inlined,
 * or merging with a call's result, would be boxed, an allocation per comparison and reading.
 */
function compare(c: Compiled, values: SlotValues): number {
  if (!known(c, values)) return 0;
  let v: number;
  if (c.expr === null) v = values[c.slot] as number;
  else {
    scratch[0] = c.expr(values);
    v = scratch[0] as number;
  }
  let atRaise: boolean;
  let atClear: boolean;
  switch (c.op) {
    case Op.Gt:
      atRaise = v > c.value;
      atClear = v > c.clear;
      break;
    case Op.Ge:
      atRaise = v >= c.value;
      atClear = v >= c.clear;
      break;
    case Op.Lt:
      atRaise = v < c.value;
      atClear = v < c.clear;
      break;
    case Op.Le:
      atRaise = v <= c.value;
      atClear = v <= c.clear;
      break;
    case Op.Eq:
      atRaise = v === c.value;
      atClear = v === c.clear;
      break;
    case Op.Ne:
      atRaise = v !== c.value;
      atClear = v !== c.clear;
      break;
    case Op.OffLevel: {
      const off = Math.abs(v - Math.round(v));
      atRaise = off > c.value;
      atClear = off > c.clear;
      break;
    }
  }
  return KNOWN | (atRaise ? AT_RAISE : 0) | (atClear ? AT_CLEAR : 0);
}

/** Whether the comparison holds against its raise value (false while unknown). */
function raises(c: Compiled, values: SlotValues): boolean {
  return (compare(c, values) & AT_RAISE) !== 0;
}

/** Appends a transition; the shared empty list is never written to. */
function add(out: Transition[], t: Transition): Transition[] {
  if (out === NONE) return [t];
  out.push(t);
  return out;
}

// Shared results: judging allocates nothing.
const NONE: Transition[] = [];
const UNKNOWN = -1;
const NEITHER = 0;
const RAISE = 1;
const CLEAR = 2;

/**
 * Rows averaged into one for the relation model (anomaly rules): it judges the mean of each
 * four consecutive rows. The faults it looks for last minutes and it smooths over 30 s anyway,
 * so a verdict every four rows loses nothing that matters and costs a quarter.
 */
export const ANOMALY_FRAME_ROWS = 4;

/** The settings a learned model depends on: a model learned under others is not resumed. */
export function learningConfig(rule: Rule): string {
  return JSON.stringify({ anomaly: rule.anomaly ?? null, frame_rows: ANOMALY_FRAME_ROWS });
}

const CONDITION = 0;
const TREND = 1;
const ANOMALY = 2;

export class RuleEvaluator {
  private state: EvaluatorState;
  // The rule, flattened into fields of this class: rules parsed from YAML come in many object
  // shapes, and reading theirs on every reading made each property access megamorphic.
  private readonly kind: number;
  private readonly raiseAfter: number;
  private readonly clearAfter: number;
  private readonly nOfM: NOfM | null;
  private readonly when: Compiled[];
  private readonly guard: Compiled[];
  private readonly escalations: Array<{ rank: number; severity: Severity; when: Compiled[] }>;
  /**
   * The comparison that last failed the raise test. While the alarm is normal (no hold time
   * running, no N-of-M window filling) and it still fails, nothing can change: a reading then
   * costs one comparison.
   */
  private witness = 0;
  /** A condition rule, normal, no N-of-M window filling: only the witness needs a look. */
  private quiet = false;
  /** The time of the reading being judged. */
  private now = Number.NaN;
  /** Trend rules: when the line is next refitted, every how long, and the latest fit. */
  private nextFit = Number.NEGATIVE_INFINITY;
  private readonly fitEveryMs: number;
  private fitted = false;
  private fitTs = Number.NaN;
  private fitEta = Number.POSITIVE_INFINITY;
  private readonly regression: WindowedRegression | null;
  private readonly line: LineFit = { slope: 0, level: 0, n: 0 };
  private readonly trendSlot: number;
  private readonly trendSign: number;
  private readonly trendLimit: number;
  private readonly trendHorizon: number;
  private readonly trendMinPoints: number;
  /** The trend's latest prediction (trend rules). */
  private eta = Number.POSITIVE_INFINITY;
  /** The fitted slope per second (NaN: no fit): a number field, so storing it allocates nothing. */
  private slope = Number.NaN;
  private readonly pointSlots: number[];
  private readonly anomalySlots: Int32Array;
  private readonly monitor: PcaMonitor | null;
  /** Sums of the current frame's rows (anomaly rules), and how many rows it has. */
  private readonly frame: Float64Array;
  private frameRows = 0;
  private revision = 0;
  private readonly row: Float64Array;

  constructor(
    readonly rule: Rule,
    readonly slots: PointSlots,
    initial?: EvaluatorState,
    /** A learned model to resume (anomaly rules), from `exportModel`. */
    model?: PcaMonitorState,
  ) {
    this.state = initial ? { ...initial } : { phase: 'normal', since: null, severity: rule.severity };
    this.kind = rule.anomaly ? ANOMALY : rule.trend ? TREND : CONDITION;
    this.raiseAfter = rule.raise_after;
    this.clearAfter = rule.clear_after;
    this.nOfM = rule.n_of_m ? new NOfM(rule.n_of_m.n, rule.n_of_m.m) : null;
    this.pointSlots = this.points.map((name) => slots.slot(name));
    this.when = (rule.when ?? []).map((c) => compile(c, slots));
    this.guard = (rule.anomaly?.only_when ?? []).map((c) => compile(c, slots));
    this.escalations = rule.escalate.map((e) => ({
      rank: severityRank(e.severity),
      severity: e.severity,
      when: e.when.map((c) => compile(c, slots)),
    }));
    const trend = rule.trend;
    this.regression = trend ? new WindowedRegression(trend.window) : null;
    this.trendSlot = trend ? slots.slot(trend.point) : -1;
    this.trendSign = trend?.direction === 'falling' ? -1 : 1;
    this.trendLimit = trend?.limit ?? 0;
    this.trendHorizon = trend?.horizon ?? 0;
    this.trendMinPoints = trend?.min_points ?? 0;
    this.fitEveryMs = trend ? trend.window / 64 : 0;
    this.anomalySlots = Int32Array.from((rule.anomaly?.points ?? []).map((name) => slots.slot(name)));
    // The relation model judges every frame with its own hold times; the rule's come on top. The
    // rule names its points deliberately, so slow ones (flow following demand) stay in. It
    // learns from the same number of rows as the rule says, seen as frames.
    this.monitor = rule.anomaly
      ? new PcaMonitor({
          trainRows: Math.max(10, Math.ceil(rule.anomaly.train_rows / ANOMALY_FRAME_ROWS)),
          slowAutocorrelation: 1,
        })
      : null;
    this.frame = new Float64Array(this.anomalySlots.length);
    this.row = new Float64Array(this.anomalySlots.length);
    if (model && this.monitor) this.monitor.restoreState(model, this.anomalySlots.length);
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
    for (const c of [...this.when, ...this.guard, ...this.escalations.flatMap((e) => e.when)]) {
      if (c.expr === null || !known(c, values)) continue;
      const v = read(c, values);
      if (Number.isFinite(v)) seen[c.subject] = v;
    }
    if (this.monitor) return { values: seen, score: this.monitor.score };
    if (!this.regression) return { values: seen };
    return {
      values: seen,
      timeToLimitMs: this.eta,
      ...(Number.isNaN(this.slope) ? {} : { slopePerHour: this.slope * 3600 }),
    };
  }

  /**
   * A trend rule's latest prediction (undefined for other rules): the time until its point
   * reaches the limit (Infinity: not heading there, or not fitted yet) and the fitted slope.
   */
  get prediction(): { timeToLimitMs: number; slopePerSecond: number } | undefined {
    if (!this.regression) return undefined;
    return { timeToLimitMs: this.eta, slopePerSecond: this.slope };
  }

  get snapshot(): EvaluatorState {
    return { ...this.state };
  }

  /** The learned model's state (anomaly rules), to persist or to copy into another timeline. */
  exportModel(): PcaMonitorState | undefined {
    return this.monitor?.exportState();
  }

  /** Rows the learned model has taken in (anomaly rules): it changed if this did. */
  get modelRevision(): number {
    return this.revision;
  }

  /** True once after the reading that finished learning: the model is worth saving now. */
  takeModelFitted(): boolean {
    return this.monitor?.takeFitted() ?? false;
  }

  /** The points this rule reads. */
  get points(): string[] {
    const { rule } = this;
    const names = [
      ...(rule.when ?? []).flatMap(comparisonPoints),
      ...rule.escalate.flatMap((e) => e.when.flatMap(comparisonPoints)),
    ];
    if (rule.trend) names.push(rule.trend.point);
    if (rule.anomaly) names.push(...rule.anomaly.points, ...rule.anomaly.only_when.flatMap(comparisonPoints));
    return [...new Set(names)];
  }

  /**
   * Judges the device's values at `ts` (the latest known value of each point); returns what
   * changed (usually nothing). A point the rule needs that was never seen: nothing is judged.
   */
  update(ts: number, values: SlotValues): Transition[] {
    // Nothing can happen while one comparison fails its raise value (or is unknown). Kept small
    // so it inlines into the engine's loop; the rest is `step`.
    if (this.quiet && !raises(this.when[this.witness] as Compiled, values)) return NONE;
    // The time goes by a field, not as an argument: a double passed to a call that is not
    // inlined is boxed, an allocation per rule and reading.
    this.now = ts;
    const judged = this.judge(values);
    if (judged === UNKNOWN) return NONE;
    const s = this.state;
    // Normal and not raising: nothing to move (the usual case for trends and learned behaviour).
    let out = NONE;
    if (s.phase !== 'normal' || (judged & RAISE) !== 0) out = this.step(judged, values);
    this.quiet = this.kind === CONDITION && s.phase === 'normal' && (this.nOfM === null || this.nOfM.idle);
    return out;
  }

  /** Moves the state machine on a judgement (RAISE and CLEAR bits). */
  private step(judged: number, values: SlotValues): Transition[] {
    const ts = this.now;
    const s = this.state;
    const raise = (judged & RAISE) !== 0;
    const clear = (judged & CLEAR) !== 0;
    // Most readings change nothing: allocate only when something happens.
    let out: Transition[] = NONE;
    switch (s.phase) {
      case 'normal':
      case 'pending': {
        if (raise) {
          if (s.phase === 'normal') {
            s.phase = 'pending';
            s.since = ts;
            if (this.raiseAfter > 0) out = add(out, { type: 'pending', ts });
          }
          const since = s.since ?? ts;
          if (ts - since >= this.raiseAfter) {
            s.phase = 'active';
            s.since = null;
            s.severity = this.escalated(values, this.rule.severity);
            out = add(out, {
              type: 'raised',
              ts: since + this.raiseAfter,
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
            if (this.clearAfter > 0) out = add(out, { type: 'clearing', ts });
          }
          const since = s.since ?? ts;
          if (ts - since >= this.clearAfter) {
            s.phase = 'normal';
            s.since = null;
            s.severity = this.rule.severity;
            out = add(out, { type: 'cleared', ts: since + this.clearAfter });
          }
        }
        break;
      }
    }
    return out;
  }

  /** RAISE and CLEAR bits of the raise and clear conditions, or UNKNOWN when a point is. */
  private judge(values: SlotValues): number {
    // One small method per kind: each stays compact for the optimiser.
    const bits =
      this.kind === CONDITION
        ? this.judgeCondition(values)
        : this.kind === TREND
          ? this.judgeTrend(values)
          : this.judgeAnomaly(values);
    if (bits === UNKNOWN || this.nOfM === null) return bits;
    const raise = this.nOfM.step((bits & RAISE) !== 0);
    return raise ? RAISE : bits & CLEAR;
  }

  private judgeCondition(values: SlotValues): number {
    let raise = true;
    let clear = false;
    const when = this.when;
    let failing = -1;
    for (let i = 0; i < when.length; i += 1) {
      const bits = compare(when[i] as Compiled, values);
      if (bits === 0) return UNKNOWN;
      if ((bits & AT_RAISE) === 0) {
        raise = false;
        if (failing < 0) failing = i;
      }
      if ((bits & AT_CLEAR) === 0) clear = true;
    }
    if (failing >= 0) this.witness = failing;
    return (raise ? RAISE : 0) | (clear ? CLEAR : 0);
  }

  private judgeTrend(values: SlotValues): number {
    const ts = this.now;
    const value = values[this.trendSlot];
    if (value === undefined || Number.isNaN(value)) return UNKNOWN;
    const regression = this.regression as WindowedRegression;
    regression.add(ts, value);
    const sign = this.trendSign;
    if (ts >= this.nextFit) {
      // The line is refitted once per bucket of its window (a 64th): in between it moves by a few
      // readings at most, and its prediction just counts down.
      this.nextFit = ts + this.fitEveryMs;
      const fit = this.line;
      this.fitted = regression.fit(ts, this.trendMinPoints, fit);
      this.slope = this.fitted ? fit.slope : Number.NaN;
      this.fitTs = ts;
      this.fitEta =
        this.fitted && sign * fit.slope > 0
          ? Math.max(0, ((this.trendLimit - fit.level) / fit.slope) * 1000)
          : Number.POSITIVE_INFINITY;
    }
    this.eta = sign * (value - this.trendLimit) >= 0 ? 0 : Math.max(0, this.fitEta - (ts - this.fitTs));
    if (!this.fitted && this.eta !== 0) return NEITHER;
    return (this.eta <= this.trendHorizon ? RAISE : 0) | (this.eta > 1.5 * this.trendHorizon ? CLEAR : 0);
  }

  private judgeAnomaly(values: SlotValues): number {
    const guard = this.guard;
    const frame = this.frame;
    for (let i = 0; i < guard.length; i += 1) {
      if (!raises(guard[i] as Compiled, values)) {
        // A frame holds consecutive rows of normal running only.
        this.frameRows = 0;
        frame.fill(0);
        return UNKNOWN;
      }
    }
    const slots = this.anomalySlots;
    for (let i = 0; i < slots.length; i += 1) {
      const v = values[slots[i] as number];
      if (v === undefined || Number.isNaN(v)) {
        this.frameRows = 0;
        frame.fill(0);
        return UNKNOWN;
      }
      frame[i] = (frame[i] as number) + v;
    }
    const monitor = this.monitor as PcaMonitor;
    this.frameRows += 1;
    if (this.frameRows === ANOMALY_FRAME_ROWS) {
      const row = this.row;
      for (let i = 0; i < row.length; i += 1) row[i] = (frame[i] as number) / ANOMALY_FRAME_ROWS;
      this.frameRows = 0;
      frame.fill(0);
      monitor.step(this.now, row);
      this.revision += 1;
    }
    if (!monitor.fitted) return NEITHER;
    return monitor.active ? RAISE : CLEAR;
  }

  private escalated(values: SlotValues, current: Severity): Severity {
    let severity = current;
    const escalations = this.escalations;
    for (let e = 0; e < escalations.length; e += 1) {
      const step = escalations[e] as (typeof escalations)[number];
      if (step.rank <= severityRank(severity)) continue;
      let all = true;
      for (let i = 0; i < step.when.length; i += 1) {
        if (!raises(step.when[i] as Compiled, values)) {
          all = false;
          break;
        }
      }
      if (all) severity = step.severity;
    }
    return severity;
  }
}
