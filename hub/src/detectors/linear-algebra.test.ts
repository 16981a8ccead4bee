import { describe, expect, it } from 'vitest';
import { covariance, symmetricEigen } from './linear-algebra.js';

describe('linear algebra', () => {
  it.each([
    {
      m: [
        [2, 0],
        [0, 1],
      ],
      values: [2, 1],
    },
    {
      m: [
        [2, 1],
        [1, 2],
      ],
      values: [3, 1],
    },
    {
      m: [
        [4, 1, 0],
        [1, 3, 1],
        [0, 1, 2],
      ],
      values: [3 + Math.sqrt(3), 3, 3 - Math.sqrt(3)],
    },
  ])('eigenvalues of $m', ({ m, values }) => {
    const e = symmetricEigen(m);
    e.values.forEach((v, i) => {
      expect(v).toBeCloseTo(values[i] as number, 10);
    });
    // A v = λ v for every pair
    e.vectors.forEach((v, k) => {
      m.forEach((row, i) => {
        const av = row.reduce((s, x, j) => s + x * (v[j] as number), 0);
        expect(av).toBeCloseTo((e.values[k] as number) * (v[i] as number), 10);
      });
    });
  });

  it('covariance of two perfectly correlated columns', () => {
    const c = covariance(
      [
        [1, 2],
        [2, 4],
        [3, 6],
      ],
      [2, 4],
    );
    expect(c).toEqual([
      [1, 2],
      [2, 4],
    ]);
  });
});
