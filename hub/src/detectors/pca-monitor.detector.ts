import { median, medianAbsoluteDeviation, quantileSorted, mean as ssMean } from 'simple-statistics';
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

const Z_CLIP = 8;

export class PcaMonitor implements RowDetector<PcaVerdict> {
  private readonly opts: PcaMonitorOptions;
  private readonly training: { ts: number; values: number[] }[] = [];
  private model: Model | undefined;
  private smooth: number[] = [];
  private baseline: number[] = [];
  private lastTs: number | undefined;
  private readonly alarm: AlarmState;
  // Scratch buffers so a reading allocates nothing.
  private dev: Float64Array = new Float64Array(0);
  private frozen = false;

  constructor(options: Partial<PcaMonitorOptions> = {}) {
    this.opts = { ...PCA_MONITOR_DEFAULTS, ...options };
    if (this.opts.trainRows < 10) throw new RangeError('PcaMonitor needs trainRows >= 10');
    this.alarm = new AlarmState({
      raiseAfterMs: this.opts.raiseAfterMs,
      clearAfterMs: this.opts.clearAfterMs,
    });
  }

  private weightsDt = -1;
  private alphaForDt = 1;
  private betaForDt = 1;

  get fitted(): boolean {
    return this.model !== undefined;
  }

  update(ts: number, values: readonly number[]): PcaVerdict {
    if (!this.model) {
      this.training.push({ ts, values: [...values] });
      if (this.training.length >= this.opts.trainRows) this.fit();
      return { active: false, score: 0, t2: 0, spe: 0, fitted: this.model !== undefined };
    }
    const m = this.model;
    this.smoothStep(ts, values, m);
    const d = this.dev;
    for (let i = 0; i < d.length; i += 1)
      d[i] = (this.smooth[i] ?? 0) - (this.baseline[i] ?? 0) - (m.smoothMean[i] ?? 0);
    let t2 = 0;
    let projected = 0;
    for (let k = 0; k < m.components.length; k += 1) {
      const vk = m.components[k] as number[];
      let t = 0;
      for (let i = 0; i < d.length; i += 1) t += (vk[i] ?? 0) * (d[i] ?? 0);
      t2 += (t * t) / (m.eigenvalues[k] ?? 1);
      projected += t * t;
    }
    let norm2 = 0;
    for (let i = 0; i < d.length; i += 1) norm2 += (d[i] ?? 0) ** 2;
    const spe = Math.max(0, norm2 - projected);
    const t2r = t2 / m.t2Limit;
    const sper = spe / m.speLimit;
    const score = Math.max(t2r, sper);
    const active = this.alarm.step(ts, score > 1, score < this.opts.clearRatio);
    this.frozen = active || score > 1;
    return { active, score, t2: t2r, spe: sper, fitted: true };
  }

  private smoothStep(ts: number, values: readonly number[], m: Model): void {
    const dt = this.lastTs === undefined ? 0 : Math.max(0, ts - this.lastTs);
    const first = this.lastTs === undefined;
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
    for (let i = 0; i < m.center.length; i += 1) {
      const raw = values[i];
      // A missing value keeps the smoothed state: the data-quality detectors report gaps.
      if (raw === undefined || !Number.isFinite(raw)) continue;
      let z = (raw - (m.center[i] ?? 0)) / (m.scale[i] ?? 1);
      z = Math.max(-Z_CLIP, Math.min(Z_CLIP, z));
      const s = this.smooth[i] ?? z;
      this.smooth[i] = s + alpha * (z - s);
      if (this.opts.baselineMs > 0) {
        const b = this.baseline[i] ?? z;
        this.baseline[i] = b + beta * (z - b);
      } else this.baseline[i] = 0;
    }
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
      this.smoothStep(r.ts, r.values, partial);
      smoothed.push(this.smooth.map((x, i) => x - (this.baseline[i] ?? 0)));
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
    this.model = model;
    this.dev = new Float64Array(dim);
    this.training.length = 0;
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
