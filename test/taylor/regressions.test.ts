// Regressions found while building Taylor mode: foundation bugs the Taylor graphs hit (kept here so the fix stays covered).

import { expect, it } from 'vitest';
import { type Tensor, jet, matmul, mul, sub, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

/** Truncated power series in t (coefficients c_0..c_K of t^k), plain JS in float64. */
type Series = number[];
const sAdd = (a: Series, b: Series): Series => a.map((x, k) => x + b[k]!);
const sMul = (a: Series, b: Series): Series => a.map((_, k) => a.slice(0, k + 1).reduce((s, x, i) => s + x * b[k - i]!, 0));
const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));

describeBackends('foundation regressions seen from Taylor mode', (c) => {
  it('a reduction over size-1 axes with a prologue and an epilogue (a sum over R = 1 directions)', async () => {
    // the CPU code generator emitted prologue and epilogue temporaries with the same names into
    // one scope when the reduced dims collapse to no loop ("Identifier 't0' has already been declared")
    const x = tensor([[1, 2, 3]], { dtype: c.dtype });
    expect(
      Array.from(
        await x
          .mul(x)
          .sum(0)
          .mul(2)
          .add(x.reshape([3]))
          .data(),
      ),
    ).toEqual([3, 10, 21]);
    const y = tensor([[[1.5]], [[-2]]], { dtype: c.dtype }); // [2, 1, 1]
    expect(Array.from(await y.exp().sum([1, 2]).log().data())).toEqual([1.5, -2]);
  });

  it('a kernel whose accumulator is reached only through views once a node on its path got a buffer (fuzz seed 111, graph #140)', async () => {
    // jet to order 3 of mean(x0 @ x1, 0) * x2 * x3 - x0 @ x1: the scheduler re-planned a node on
    // the only path from the kernel's root to its matmul into a buffer, left the matmul to be read
    // through reshapes only, and threw "never reached its accumulator"; checked against the
    // same series pushed through by hand (truncated power series in float64)
    const K = 3;
    const shapes = [[1, 3], [3, 2], [], [1, 2]];
    const value = (i: number, k: number, j: number): number => Math.sin(1 + 7 * i + 3 * k + j) * (k === 0 ? 1 : 0.5);
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    const x = shapes.map((s, i) => Array.from({ length: size(s) }, (_, j) => value(i, 0, j)));
    const X = shapes.map((s, i) => Array.from({ length: K }, (_, k) => Array.from({ length: size(s) }, (_, j) => value(i, k + 1, j))));
    const T = (a: number[], s: number[]): Tensor => tensor(a, { shape: s, dtype: c.dtype });
    const f = (x0: Tensor, x1: Tensor, x2: Tensor, x3: Tensor): Tensor => {
      const p = matmul(x0, x1);
      return sub(mul(mul(p.mean([0], true), x2), x3), p);
    };
    const [, Z] = jet(
      f,
      shapes.map((s, i) => T(x[i]!, s)),
      shapes.map((s, i) => X[i]!.map((a) => T(a, s))),
    );
    // element j of input i as a series: x + sum_k X_k t^k / k!
    const series = (i: number, j: number): Series => [x[i]![j]!, ...X[i]!.map((a, k) => a[j]! / factorial(k + 1))];
    for (let col = 0; col < 2; col++) {
      let p: Series = new Array<number>(K + 1).fill(0);
      for (let r = 0; r < 3; r++) p = sAdd(p, sMul(series(0, r), series(1, r * 2 + col)));
      const y = sAdd(
        sMul(sMul(p, series(2, 0)), series(3, col)),
        p.map((v) => -v),
      );
      for (let k = 1; k <= K; k++) {
        const got = (await Z[k - 1]!.data())[col]!;
        const want = y[k]! * factorial(k);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(c.rtol * Math.abs(want) + c.atol);
      }
    }
  });
});
