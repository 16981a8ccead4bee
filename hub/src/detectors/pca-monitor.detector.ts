import { median, medianAbsoluteDeviation, quantileSorted, mean as ssMean } from 'simple-statistics';
import { z } from 'zod';
import { AlarmState } from './alarm-state.js';
import type { RowDetector, Verdict } from './detector.js';
import { covariance, symmetricEigen } from './linear-algebra.js';

/**
 * Multivariate monitor of one device: learns how its points move together during normal
 * running and flags when that relation breaks (a pump whose flow falls while current and
 * vibration stay put: a closed valve, a leak, a clog).
 *
 * Method: robust standardisation (median / MAD) → causal EWMA smoothing in time (the faults we
 * look for last minutes; single-reading noise does not matter) → PCA of the smoothed training
 * vectors → Hotelling T² in the retained components and SPE (Q) in the residual space
 * (MacGregor & Kourti, "Statistical process control of multivariate processes", 1995).
 * Limits are learned from the training scores (empirical quantile × margin), so they adapt to
 * each device; the alarm raises and clears with hysteresis and hold times.
 */
export interface PcaMonitorOptions {
  /** Rows to learn from before judging; no alarm is raised before the model is fitted. */
  readonly trainRows: number;
  /** Time constant of the EWMA smoothing, ms. */
  readonly smoothingMs: number;
  /**
   * Time constant of the slow per-point baseline, ms (0 = fixed baseline from training). The
   * baseline follows slow drifts of normal running (temperatures with the weather) and is
   * frozen while the alarm is raised, so a lasting fault stays flagged.
   */
  readonly baselineMs: number;
  /**
   * Points whose training readings have a lag-1 autocorrelation above this are slow state
   * variables (temperatures): their drift over minutes is normal running, not a broken
   * relation, so the relation model leaves them to the trend and baseline detectors.
   * 1 keeps every point.
   */
  readonly slowAutocorrelation: number;
  /** Share of the smoothed variance the retained components must explain. */
  readonly varianceExplained: number;
  /** Quantile of the training scores that sets each limit, times `limitMargin`. */
  readonly limitQuantile: number;
  readonly limitMargin: number;
  /** Alarm clears when the score falls below this fraction of the limit (hysteresis). */
  readonly clearRatio: number;
  readonly raiseAfterMs: number;
  readonly clearAfterMs: number;
}

/**
 * Defaults chosen on the physics (faults that last minutes, sensors sampled about once a
 * second), checked on the SKAB development recordings; see hub/src/detectors/README.md.
 */
export const PCA_MONITOR_DEFAULTS: PcaMonitorOptions = {
  trainRows: 300,
  smoothingMs: 30_000,
  baselineMs: 300_000,
  slowAutocorrelation: 0.8,
  varianceExplained: 0.8,
  limitQuantile: 0.99,
  // The training window is short (minutes): its in-sample 99th percentile underestimates how
  // far normal running wanders over an hour, hence the wide margin.
  limitMargin: 10,
  clearRatio: 0.9,
  raiseAfterMs: 10_000,
  clearAfterMs: 10_000,
};

export interface PcaVerdict extends Verdict {
  /** Hotelling T² over its limit (1 = at the limit). */
  readonly t2: number;
  /** Squared prediction error over its limit. */
  readonly spe: number;
  /** Whether the model is fitted (false while learning). */
  readonly fitted: boolean;
}

interface Model {
  center: number[];
  scale: number[];
  smoothMean: number[];
  /** Retained eigenvectors and their eigenvalues. */
  components: number[][];
  eigenvalues: number[];
  t2Limit: number;
  speLimit: number;
}

/** The fitted model as flat typed arrays, for judging a row without allocating. */
interface LiveModel {
  readonly model: Model;
  readonly dim: number;
  readonly k: number;
  readonly center: Float64Array;
  readonly scale: Float64Array;
  readonly smoothMean: Float64Array;
  /** k × dim, row-major: component c's weight of point i at c * dim + i. */
  readonly components: Float64Array;
  readonly eigenvalues: Float64Array;
}

const Z_CLIP = 8;

/** JSON has no Infinity or NaN: a left-out point's infinite scale and an unseen value are null. */
const num = z.number().nullable();
const numbers = z.array(num).max(1024);

/**
 * A monitor's whole state as plain JSON-safe data: what it has learned (or the rows it is still
 * learning from) and where its smoothing and alarm stand, so a restarted hub resumes instead of
 * relearning. Validated on the way back in.
 */
export const pcaMonitorStateSchema = z
  .object({
    v: z.literal(1),
    trainRows: z.number().int().min(1),
    /** While learning: the rows so far (times and values). */
    training: z.object({ ts: z.array(z.number()), values: z.array(numbers) }).nullable(),
    model: z
      .object({
        center: numbers,
        scale: numbers,
        smoothMean: numbers,
        components: z.array(numbers),
        eigenvalues: numbers,
        t2Limit: z.number(),
        speLimit: z.number(),
      })
      .nullable(),
    smooth: numbers,
    baseline: numbers,
    lastTs: z.number().nullable(),
    frozen: z.boolean(),
    alarm: z.object({
      active: z.boolean(),
      raiseSince: z.number().nullable(),
      clearSince: z.number().nullable(),
    }),
  })
  .strict();
export type PcaMonitorState = z.infer<typeof pcaMonitorStateSchema>;

const toJson = (xs: ArrayLike<number>): Array<number | null> =>
  Array.from(xs, (x) => (Number.isFinite(x) ? x : null));
const fromJson = (xs: ReadonlyArray<number | null>, missing: number): number[] =>
  xs.map((x) => (x === null ? missing : x));

export class PcaMonitor implements RowDetector<PcaVerdict> {
  private readonly opts: PcaMonitorOptions;
  private readonly training: { ts: number; values: number[] }[] = [];
  private live: LiveModel | undefined;
  /** Smoothed and baseline z-scores per point; NaN until the point's first finite value. */
  private smooth: Float64Array = new Float64Array(0);
  private baseline: Float64Array = new Float64Array(0);
  /** The latest row's time (NaN before the first): a number field, so storing it allocates nothing. */
  private lastTs = Number.NaN;
  private now = Number.NaN;
  private readonly alarm: AlarmState;
  private dev: Float64Array = new Float64Array(0);
  private frozen = false;
  private weightsDt = -1;
  private alphaForDt = 1;
  private betaForDt = 1;
  // The latest verdict, as fields: the hub's hot path reads these instead of a new object.
  /** Whether the alarm is raised after the latest row. */
  active = false;
  /** max(T², SPE) over their limits after the latest row (0 while learning). */
  score = 0;
  t2 = 0;
  spe = 0;
  /** Rows judged since the model was fitted or restored. */
  private fittedJustNow = false;

  constructor(options: Partial<PcaMonitorOptions> = {}) {
    this.opts = { ...PCA_MONITOR_DEFAULTS, ...options };
    if (this.opts.trainRows < 10) throw new RangeError('PcaMonitor needs trainRows >= 10');
    this.alarm = new AlarmState({
      raiseAfterMs: this.opts.raiseAfterMs,
      clearAfterMs: this.opts.clearAfterMs,
    });
  }

  get fitted(): boolean {
    return this.live !== undefined;
  }

  /** True once after the row that completed learning (so its owner can save the model soon). */
  takeFitted(): boolean {
    const was = this.fittedJustNow;
    this.fittedJustNow = false;
    return was;
  }

  update(ts: number, values: readonly number[]): PcaVerdict {
    this.step(ts, values);
    return { active: this.active, score: this.score, t2: this.t2, spe: this.spe, fitted: this.fitted };
  }

  /** Judges one row; the verdict is left in `active`, `score`, `t2` and `spe`. */
  step(ts: number, values: ArrayLike<number>): void {
    const m = this.live;
    if (!m) {
      this.training.push({ ts, values: Array.from(values) });
      if (this.training.length >= this.opts.trainRows) this.fit();
      this.active = false;
      this.score = 0;
      this.t2 = 0;
      this.spe = 0;
      return;
    }
    this.now = ts;
    this.smoothStep(values, m.center, m.scale);
    const d = this.dev;
    const dim = m.dim;
    const smooth = this.smooth;
    const baseline = this.baseline;
    const mean = m.smoothMean;
    let norm2 = 0;
    for (let i = 0; i < dim; i += 1) {
      const s = smooth[i] as number;
      const b = baseline[i] as number;
      const x = (Number.isNaN(s) ? 0 : s) - (Number.isNaN(b) ? 0 : b) - (mean[i] as number);
      d[i] = x;
      norm2 += x * x;
    }
    let t2 = 0;
    let projected = 0;
    const comps = m.components;
    for (let k = 0; k < m.k; k += 1) {
      const at = k * dim;
      let t = 0;
      for (let i = 0; i < dim; i += 1) t += (comps[at + i] as number) * (d[i] as number);
      t2 += (t * t) / (m.eigenvalues[k] as number);
      projected += t * t;
    }
    const spe = Math.max(0, norm2 - projected);
    const t2r = t2 / m.model.t2Limit;
    const sper = spe / m.model.speLimit;
    const score = Math.max(t2r, sper);
    const active = this.alarm.step(ts, score > 1, score < this.opts.clearRatio);
    this.frozen = active || score > 1;
    this.active = active;
    this.score = score;
    this.t2 = t2r;
    this.spe = sper;
  }

  /** The whole state as JSON-safe data (see `pcaMonitorStateSchema`). */
  exportState(): PcaMonitorState {
    const model = this.live?.model;
    return {
      v: 1,
      trainRows: this.opts.trainRows,
      training: model
        ? null
        : { ts: this.training.map((r) => r.ts), values: this.training.map((r) => toJson(r.values)) },
      model: model
        ? {
            center: toJson(model.center),
            scale: toJson(model.scale),
            smoothMean: toJson(model.smoothMean),
            components: model.components.map((c) => toJson(c)),
            eigenvalues: toJson(model.eigenvalues),
            t2Limit: model.t2Limit,
            speLimit: model.speLimit,
          }
        : null,
      smooth: toJson(this.smooth),
      baseline: toJson(this.baseline),
      lastTs: Number.isNaN(this.lastTs) ? null : this.lastTs,
      frozen: this.frozen,
      alarm: this.alarm.snapshot(),
    };
  }

  /**
   * Resumes from an exported state. Throws RangeError when it does not fit this monitor (another
   * number of points or training rows): the caller then starts learning afresh.
   */
  restoreState(state: PcaMonitorState, dim: number): void {
    if (state.trainRows !== this.opts.trainRows)
      throw new RangeError(`learned with ${state.trainRows} training rows, not ${this.opts.trainRows}`);
    // Model and training rows have one value per point; the smoothing state has none until
    // the first judged row.
    const sizes: number[] = [];
    if (state.model) {
      const m = state.model;
      sizes.push(m.center.length, m.scale.length, m.smoothMean.length, ...m.components.map((c) => c.length));
      if (m.components.length !== m.eigenvalues.length || m.components.length > dim)
        throw new RangeError('components and eigenvalues do not match');
    }
    if (state.training) {
      if (state.training.ts.length !== state.training.values.length)
        throw new RangeError('training times and rows do not match');
      sizes.push(...state.training.values.map((r) => r.length));
    }
    for (const n of [state.smooth.length, state.baseline.length]) if (n !== 0) sizes.push(n);
    const wrong = sizes.find((n) => n !== dim);
    if (wrong !== undefined) throw new RangeError(`state for ${wrong} points, not ${dim}`);
    this.training.length = 0;
    this.live = undefined;
    if (state.model) {
      const m = state.model;
      this.install({
        center: fromJson(m.center, 0),
        scale: fromJson(m.scale, Number.POSITIVE_INFINITY),
        smoothMean: fromJson(m.smoothMean, 0),
        components: m.components.map((c) => fromJson(c, 0)),
        eigenvalues: fromJson(m.eigenvalues, 1),
        t2Limit: m.t2Limit,
        speLimit: m.speLimit,
      });
    } else if (state.training) {
      const { ts, values } = state.training;
      for (let r = 0; r < ts.length; r += 1)
        this.training.push({ ts: ts[r] as number, values: fromJson(values[r] ?? [], Number.NaN) });
    }
    this.smooth = Float64Array.from(fromJson(state.smooth, Number.NaN));
    this.baseline = Float64Array.from(fromJson(state.baseline, Number.NaN));
    this.lastTs = state.lastTs ?? Number.NaN;
    this.frozen = state.frozen;
    this.alarm.restore(state.alarm);
    this.active = state.alarm.active;
    this.fittedJustNow = false;
  }

  /** Smooths one row taken at `now` (a field: a double argument would be boxed). */
  private smoothStep(values: ArrayLike<number>, center: ArrayLike<number>, scale: ArrayLike<number>): void {
    const ts = this.now;
    const first = Number.isNaN(this.lastTs);
    const dt = first ? 0 : Math.max(0, ts - this.lastTs);
    this.lastTs = ts;
    // Readings usually come at a steady pace: the weights are computed once per distinct gap.
    if (dt !== this.weightsDt) {
      this.weightsDt = dt;
      this.alphaForDt = 1 - Math.exp(-dt / this.opts.smoothingMs);
      this.betaForDt = this.opts.baselineMs > 0 ? 1 - Math.exp(-dt / this.opts.baselineMs) : 0;
    }
    const alpha = first ? 1 : this.alphaForDt;
    const slow = this.opts.baselineMs > 0 && !this.frozen;
    const beta = first ? 1 : slow ? this.betaForDt : 0;
    const n = center.length;
    if (this.smooth.length !== n) {
      this.smooth = new Float64Array(n).fill(Number.NaN);
      this.baseline = new Float64Array(n).fill(Number.NaN);
    }
    const smooth = this.smooth;
    const baseline = this.baseline;
    const withBaseline = this.opts.baselineMs > 0;
    for (let i = 0; i < n; i += 1) {
      const raw = values[i];
      // A missing value keeps the smoothed state: the data-quality detectors report gaps.
      if (raw === undefined || !Number.isFinite(raw)) continue;
      let z = (raw - (center[i] as number)) / (scale[i] as number);
      z = Math.max(-Z_CLIP, Math.min(Z_CLIP, z));
      const s0 = smooth[i] as number;
      const s = Number.isNaN(s0) ? z : s0;
      smooth[i] = s + alpha * (z - s);
      if (withBaseline) {
        const b0 = baseline[i] as number;
        const b = Number.isNaN(b0) ? z : b0;
        baseline[i] = b + beta * (z - b);
      } else baseline[i] = 0;
    }
  }

  /** Makes a fitted model the live one. */
  private install(model: Model): void {
    const dim = model.center.length;
    const k = model.components.length;
    const components = new Float64Array(k * dim);
    model.components.forEach((c, ci) => {
      for (let i = 0; i < dim; i += 1) components[ci * dim + i] = c[i] ?? 0;
    });
    this.live = {
      model,
      dim,
      k,
      center: Float64Array.from(model.center),
      scale: Float64Array.from(model.scale),
      smoothMean: Float64Array.from(model.smoothMean),
      components,
      eigenvalues: Float64Array.from(model.eigenvalues),
    };
    this.dev = new Float64Array(dim);
  }

  private fit(): void {
    const rows = this.training;
    const dim = rows[0]?.values.length ?? 0;
    const center: number[] = [];
    const scale: number[] = [];
    for (let i = 0; i < dim; i += 1) {
      const col = rows.map((r) => r.values[i] ?? Number.NaN).filter(Number.isFinite);
      if (col.length === 0) {
        center.push(0);
        scale.push(1);
        continue;
      }
      const med = median(col);
      const mad = 1.4826 * medianAbsoluteDeviation(col);
      // Quantised or nearly constant channels have MAD 0: fall back to a spread that exists.
      const spread = Math.sqrt(col.reduce((s, x) => s + (x - med) ** 2, 0) / col.length);
      const floor = Math.max(1e-9, 1e-6 * Math.abs(med));
      center.push(med);
      scale.push(
        lag1Autocorrelation(col) > this.opts.slowAutocorrelation
          ? Number.POSITIVE_INFINITY
          : Math.max(mad, spread * 0.5, floor),
      );
    }
    const partial: Model = {
      center,
      scale,
      smoothMean: [],
      components: [],
      eigenvalues: [],
      t2Limit: 1,
      speLimit: 1,
    };
    // Smooth the training rows exactly as live rows will be smoothed.
    const smoothed: number[][] = [];
    for (const r of rows) {
      this.now = r.ts;
      this.smoothStep(r.values, center, scale);
      const row: number[] = [];
      for (let i = 0; i < dim; i += 1) {
        // A point with no finite value yet counts as at its centre.
        const x = this.smooth[i] as number;
        const b = this.baseline[i] as number;
        row.push((Number.isNaN(x) ? 0 : x) - (Number.isNaN(b) ? 0 : b));
      }
      smoothed.push(row);
    }
    // Skip the EWMA start-up transient (about two time constants, at most half the rows).
    const t0 = rows[0]?.ts ?? 0;
    let start = smoothed.findIndex((_, k) => (rows[k]?.ts ?? 0) - t0 >= 2 * this.opts.smoothingMs);
    if (start < 0 || start > rows.length / 2) start = Math.floor(rows.length / 2);
    const fitRows = smoothed.slice(start);
    const smoothMean = Array.from({ length: dim }, (_, i) => ssMean(fitRows.map((r) => r[i] ?? 0)));
    const cov = covariance(fitRows, smoothMean);
    const eig = symmetricEigen(cov);
    const total = eig.values.reduce((s, v) => s + Math.max(0, v), 0) || 1;
    const tiny = 1e-6 * total + 1e-12;
    let k = 0;
    let acc = 0;
    while (k < dim && acc / total < this.opts.varianceExplained && (eig.values[k] ?? 0) > tiny) {
      acc += Math.max(0, eig.values[k] ?? 0);
      k += 1;
    }
    const model: Model = {
      ...partial,
      smoothMean,
      components: eig.vectors.slice(0, k),
      eigenvalues: eig.values.slice(0, k).map((v) => Math.max(v, tiny)),
    };
    const t2s: number[] = [];
    const spes: number[] = [];
    for (const r of fitRows) {
      let t2 = 0;
      let proj = 0;
      let n2 = 0;
      const d = r.map((x, i) => x - (smoothMean[i] ?? 0));
      for (let c = 0; c < model.components.length; c += 1) {
        const vc = model.components[c] as number[];
        const t = d.reduce((s, x, i) => s + x * (vc[i] ?? 0), 0);
        t2 += (t * t) / (model.eigenvalues[c] ?? 1);
        proj += t * t;
      }
      for (const x of d) n2 += x * x;
      t2s.push(t2);
      spes.push(Math.max(0, n2 - proj));
    }
    t2s.sort((a, b) => a - b);
    spes.sort((a, b) => a - b);
    const q = this.opts.limitQuantile;
    model.t2Limit = Math.max(quantileSorted(t2s, q) * this.opts.limitMargin, 1e-9);
    model.speLimit = Math.max(quantileSorted(spes, q) * this.opts.limitMargin, tiny);
    this.install(model);
    this.training.length = 0;
    this.fittedJustNow = true;
  }
}

/** Lag-1 autocorrelation of a series (0 for a constant one). */
export function lag1Autocorrelation(xs: readonly number[]): number {
  const mu = ssMean(xs as number[]);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i += 1) {
    const d = (xs[i] ?? 0) - mu;
    den += d * d;
    if (i > 0) num += d * ((xs[i - 1] ?? 0) - mu);
  }
  return den > 0 ? num / den : 0;
}
