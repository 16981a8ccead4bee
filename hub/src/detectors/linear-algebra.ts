/**
 * The little linear algebra the multivariate detector needs, on plain arrays (dimension = the
 * number of points of one device, so ~10): covariance and a symmetric eigendecomposition.
 */

export type Matrix = number[][];

/** Covariance (divisor n - 1) of the rows of `data` about `mean`. */
export function covariance(data: readonly (readonly number[])[], mean: readonly number[]): Matrix {
  const d = mean.length;
  const cov: Matrix = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const row of data) {
    for (let i = 0; i < d; i += 1) {
      const di = (row[i] ?? 0) - (mean[i] ?? 0);
      const ci = cov[i] as number[];
      for (let j = i; j < d; j += 1) ci[j] = (ci[j] ?? 0) + di * ((row[j] ?? 0) - (mean[j] ?? 0));
    }
  }
  const div = Math.max(1, data.length - 1);
  for (let i = 0; i < d; i += 1) {
    for (let j = i; j < d; j += 1) {
      const v = ((cov[i] as number[])[j] ?? 0) / div;
      (cov[i] as number[])[j] = v;
      (cov[j] as number[])[i] = v;
    }
  }
  return cov;
}

export interface Eigen {
  /** Eigenvalues, largest first. */
  readonly values: number[];
  /** vectors[k] is the unit eigenvector of values[k]. */
  readonly vectors: number[][];
}

/**
 * Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan,
 * Matrix Computations §8.5): exact enough and simple for the small matrices used here.
 */
export function symmetricEigen(matrix: Matrix, maxSweeps = 100): Eigen {
  const n = matrix.length;
  const a = matrix.map((r) => [...r]);
  const v: Matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  const at = (m: Matrix, i: number, j: number): number => (m[i] as number[])[j] ?? 0;
  const set = (m: Matrix, i: number, j: number, x: number): void => {
    (m[i] as number[])[j] = x;
  };
  for (let sweep = 0; sweep < maxSweeps; sweep += 1) {
    let off = 0;
    for (let p = 0; p < n; p += 1) for (let q = p + 1; q < n; q += 1) off += at(a, p, q) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p += 1) {
      for (let q = p + 1; q < n; q += 1) {
        const apq = at(a, p, q);
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (at(a, q, q) - at(a, p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k += 1) {
          const akp = at(a, k, p);
          const akq = at(a, k, q);
          set(a, k, p, c * akp - s * akq);
          set(a, k, q, s * akp + c * akq);
        }
        for (let k = 0; k < n; k += 1) {
          const apk = at(a, p, k);
          const aqk = at(a, q, k);
          set(a, p, k, c * apk - s * aqk);
          set(a, q, k, s * apk + c * aqk);
        }
        for (let k = 0; k < n; k += 1) {
          const vkp = at(v, k, p);
          const vkq = at(v, k, q);
          set(v, k, p, c * vkp - s * vkq);
          set(v, k, q, s * vkp + c * vkq);
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => at(a, j, j) - at(a, i, i));
  return {
    values: order.map((i) => at(a, i, i)),
    vectors: order.map((i) => Array.from({ length: n }, (_, k) => at(v, k, i))),
  };
}
