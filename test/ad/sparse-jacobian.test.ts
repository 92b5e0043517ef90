// Sparse Jacobians by coloring: the colorings are valid (no two items of one color share a line)
// and as few as a banded or arrow pattern allows; colored forward / reverse Jacobians and sparse
// Hessians agree with a plain-JS closed form and with the dense ones; n = 1000 takes 3 passes in a
// plan of the same size as n = 100; detected patterns are exact for a banded function and cover
// the nonzeros of every primitive case's Jacobian; bad patterns are refused.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  type Sparsity,
  type Tensor,
  TransformError,
  detectSparsity,
  hessian,
  init,
  jacfwd,
  jacobian,
  jacobianColoring,
  jacrev,
  profile,
  tensor,
} from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { values } from '../helpers/batch.js';
import { expectErr } from '../helpers/errors.js';
import { expectClose, randomData, rng } from '../helpers/finiteDiff.js';
import { PRIM_CASES, inputsOf } from './primCases.js';

/** y_i = sin(x_{i-1}) x_i + x_{i+1}² (missing neighbours are 0): a tridiagonal Jacobian. */
const banded = (x: Tensor): Tensor => {
  const n = x.shape[0]!;
  const prev = x
    .slice([0], [n - 1])
    .sin()
    .pad([[1, 0]]);
  const next = x
    .slice([1], [n])
    .square()
    .pad([[0, 1]]);
  return prev.mul(x).add(next);
};

function tridiagonal(n: number): Sparsity {
  const rows: number[] = [],
    cols: number[] = [];
  for (let i = 0; i < n; i++)
    for (const j of [i - 1, i, i + 1])
      if (j >= 0 && j < n) {
        rows.push(i);
        cols.push(j);
      }
  return { rows, cols };
}

/** The closed-form Jacobian of `banded` at x, dense row-major. */
function bandedJacobian(x: number[]): number[] {
  const n = x.length;
  const J = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      J[i * n + i - 1] = Math.cos(x[i - 1]!) * x[i]!;
      J[i * n + i] = Math.sin(x[i - 1]!);
    }
    if (i + 1 < n) J[i * n + i + 1] = 2 * x[i + 1]!;
  }
  return J;
}

/** Checks a coloring: items of one color never share a line of the pattern. */
function expectValid(s: Sparsity, colorOf: Int32Array, byCols: boolean): void {
  const owner = new Map<string, number>();
  for (let k = 0; k < s.rows.length; k++) {
    const [item, line] = byCols ? [s.cols[k]!, s.rows[k]!] : [s.rows[k]!, s.cols[k]!];
    const key = `${line}:${colorOf[item]}`;
    const prev = owner.get(key);
    if (prev !== undefined && prev !== item) expect.fail(`items ${prev} and ${item} share line ${line} and color ${colorOf[item]}`);
    owner.set(key, item);
  }
}

it('colorings are valid and small: tridiagonal takes 3 colors, an arrow pattern 2 (by rows)', () => {
  const tri = jacobianColoring(tridiagonal(1000), 1000, 1000);
  expect([tri.mode, tri.colors]).toEqual(['fwd', 3]);
  expectValid(tridiagonal(1000), tri.colorOf, true);
  // arrow: a full first row and the diagonal; every column meets row 0, but rows 1.. share no column
  const n = 50;
  const arrow = {
    rows: [...Array.from({ length: n }, () => 0), ...Array.from({ length: n - 1 }, (_, i) => i + 1)],
    cols: [...Array.from({ length: n }, (_, j) => j), ...Array.from({ length: n - 1 }, (_, i) => i + 1)],
  };
  const a = jacobianColoring(arrow, n, n);
  expect([a.mode, a.colors]).toEqual(['rev', 2]);
  expectValid(arrow, a.colorOf, false);
  expect(jacobianColoring(arrow, n, n, 'fwd').colors).toBe(n);
  // random patterns: valid both ways
  const r = rng(3);
  const rows: number[] = [],
    cols: number[] = [];
  for (let k = 0; k < 300; k++) {
    rows.push(Math.floor(r() * 40));
    cols.push(Math.floor(r() * 60));
  }
  const s = { rows, cols };
  expectValid(s, jacobianColoring(s, 40, 60, 'fwd').colorOf, true);
  expectValid(s, jacobianColoring(s, 40, 60, 'rev').colorOf, false);
});

/** The entries of a pattern as sorted "i,j" keys. */
const entries = (s: Sparsity) => Array.from(s.rows, (i, k) => `${i},${s.cols[k]}`).sort();

describe('detected sparsity', () => {
  beforeAll(async () => {
    await init({ backend: 'cpu' });
  });

  it('is exactly tridiagonal for the banded function, and exact for a strided slice and a matmul', () => {
    expect(entries(detectSparsity(banded, tensor(randomData(30, 1))))).toEqual(entries(tridiagonal(30)));
    // y = x[1::3] (from 10 elements): y_i reads x_{1+3i}
    expect(entries(detectSparsity((x: Tensor) => x.slice([1], [10], [3]).exp(), tensor(randomData(10, 2))))).toEqual(['0,1', '1,4', '2,7']);
    // y = x W, x [2, 3]: y[i, j] reads row i of x
    const W = tensor(randomData(6, 3), { shape: [3, 2] });
    const want = [0, 1, 2, 3].flatMap((o) => [0, 1, 2].map((k) => `${o},${Math.floor(o / 2) * 3 + k}`)).sort();
    expect(entries(detectSparsity((x: Tensor) => x.matmul(W), tensor(randomData(6, 4), { shape: [2, 3] })))).toEqual(want);
  });

  for (const c of PRIM_CASES) {
    it(`covers every nonzero of the Jacobian: ${c.name}`, async () => {
      // several arguments: one vector z holding them all, split inside
      const xs = inputsOf(c, 'float64', 5);
      const sizes = xs.map((x) => x.size);
      const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
      const f = (z: Tensor) => c.f(...xs.map((x, i) => z.slice([offsets[i]!], [offsets[i]! + sizes[i]!]).reshape(x.shape)));
      const host = (await Promise.all(xs.map((x) => x.data()))).flatMap((d) => Array.from(d));
      const z = tensor(host, { dtype: 'float64' });
      const pattern = new Set(entries(detectSparsity(f, z)));
      const J = await (c.reverseOnly ? jacrev : jacfwd)(f)(z).data();
      const n = z.size;
      const missing = Array.from(J, (v, k) => (v !== 0 && !pattern.has(`${Math.floor(k / n)},${k % n}`) ? `${Math.floor(k / n)},${k % n}` : null)).filter(
        (e) => e !== null,
      );
      expect(missing).toEqual([]);
      expectClose(await (c.reverseOnly ? jacrev : jacobian)(f, { sparsity: 'detect' })(z).data(), J, 1e-12, 1e-12, `${c.name} colored`);
    });
  }
});

describeBackends('sparse Jacobians and Hessians', (bc) => {
  it('colored forward and reverse Jacobians of a banded function match the closed form and the dense Jacobian', async () => {
    const n = 40;
    const xs = randomData(n, 5);
    const x = tensor(xs, { dtype: bc.dtype });
    const want = bandedJacobian(xs);
    const sparsity = tridiagonal(n);
    for (const [name, J] of [
      ['jacobian', jacobian(banded, { sparsity })(x)],
      ['jacfwd', jacfwd(banded, { sparsity })(x)],
      ['jacrev', jacrev(banded, { sparsity })(x)],
      ['chunked', jacobian(banded, { sparsity, chunkSize: 2 })(x)],
    ] as const) {
      expect(J.shape).toEqual([n, n]);
      expectClose(await values(J), want, bc.rtol, bc.atol, name);
    }
    expectClose(await values(jacobian(banded)(x)), want, bc.rtol, bc.atol, 'dense');
  });

  it('n = 1000 in 3 passes, with as many kernels as n = 100', async () => {
    const kernels: number[] = [];
    for (const n of [100, 1000]) {
      const xs = randomData(n, 6);
      const x = tensor(xs, { dtype: bc.dtype });
      expect(jacobianColoring(tridiagonal(n), n, n).colors).toBe(3);
      const p = await profile(() => jacobian(banded, { sparsity: tridiagonal(n) })(x).data());
      kernels.push(p.kernels);
      expectClose(p.result, bandedJacobian(xs), bc.rtol, bc.atol, `n = ${n}`);
    }
    expect(kernels[1]).toBe(kernels[0]);
  });

  it('a sparse Hessian (tridiagonal pattern) matches the dense one', async () => {
    const n = 30;
    const x = tensor(randomData(n, 7), { dtype: bc.dtype });
    const g = (y: Tensor) => banded(y).tanh().sum();
    // ∂²g/∂x_j∂x_k ≠ 0 only for |j − k| ≤ 2 (y_i couples x_{i−1}, x_i, x_{i+1})
    const rows: number[] = [],
      cols: number[] = [];
    for (let j = 0; j < n; j++)
      for (let k = Math.max(0, j - 2); k <= Math.min(n - 1, j + 2); k++) {
        rows.push(j);
        cols.push(k);
      }
    const H = hessian(g, { sparsity: { rows, cols } })(x);
    const dense = await values(hessian(g)(x));
    expectClose(await values(H), dense, bc.rtol, bc.atol, 'sparse Hessian');
    expectClose(await values(hessian(g, { sparsity: 'detect' })(x)), dense, bc.rtol, bc.atol, 'detected sparse Hessian');
  });

  it('bad patterns and functions are refused', () => {
    const x = tensor(randomData(5, 8), { dtype: bc.dtype });
    expectErr(() => jacobian(banded, { sparsity: { rows: [0, 1], cols: [0] } })(x), ArgumentError, 'jacobian: sparsity must be { rows, cols }');
    expectErr(() => jacobian(banded, { sparsity: { rows: [0, 5], cols: [0, 0] } })(x), ArgumentError, 'sparsity entry 1 is (5, 0), outside the 5×5 Jacobian');
    const two = (a: Tensor, b: Tensor) => a.mul(b);
    expectErr(() => jacobian(two, { argnums: [0, 1], sparsity: tridiagonal(5) })(x, x), TransformError, 'a sparsity pattern needs a function of one Tensor');
  });
});
