/** Statistics that tell a plausible sensor signal from a constant or from white noise. */

export function mean(xs: readonly number[]): number {
  return xs.reduce((sum, x) => sum + x, 0) / xs.length;
}

export function standardDeviation(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((sum, x) => sum + (x - m) ** 2, 0) / xs.length);
}

/** Lag-1 autocorrelation: about 0 for white noise, close to 1 for a smooth signal. */
export function lag1Autocorrelation(xs: readonly number[]): number {
  const m = mean(xs);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] ?? m) - m;
    denominator += d * d;
    if (i > 0) numerator += d * ((xs[i - 1] ?? m) - m);
  }
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] ?? mx) - mx;
    const dy = (ys[i] ?? my) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
