// L-BFGS and its strong-Wolfe line search: the Rosenbrock minimum (2-D and 10-D, the latter over a
// pytree of two leaves) to 1e-6 in float64; the strong Wolfe conditions checked on the steps the
// line search returns (on 1-D functions written in JS, and on every L-BFGS iteration); a convex
// quadratic solved on every backend against its closed-form minimizer; errors.

import { describe, expect, it } from 'vitest';
import { type Tensor, ArgumentError, DTypeError, concat, optim, tensor, valueAndGrad } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { throwsWith } from '../helpers/errors.js';

/** Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)² of a 1-D tensor. */
function rosenbrock(x: Tensor): Tensor {
  const n = x.shape[0]!;
  const head = x.slice([0], [n - 1]);
  const tail = x.slice([1], [n]);
  return tail.sub(head.square()).square().mul(100).add(head.neg().add(1).square()).sum();
}

const c1 = 1e-4,
  c2 = 0.9;

describeBackends(
  'lbfgs: Rosenbrock in float64',
  () => {
    it('2-D from (−1.2, 1): the minimum (1, 1) to 1e-6, every step a strong Wolfe step', async () => {
      const infos: optim.LbfgsIteration[] = [];
      const res = await optim
        .lbfgs({ maxIter: 200, tolGrad: 1e-10, tolChange: 0, onIteration: (i) => infos.push(i) })
        .minimize((p: { x: Tensor }) => valueAndGrad((q: { x: Tensor }) => rosenbrock(q.x))(p), { x: tensor([-1.2, 1], { dtype: 'float64' }) });
      expect(res.reason).toBe('tolGrad');
      for (const v of await res.params.x.data()) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
      expect(res.value).toBeLessThan(1e-12);
      expect(res.iterations).toBe(infos.length);
      for (const i of infos) {
        expect(i.wolfe, `iteration ${i.iteration}`).toBe(true);
        expect(i.value).toBeLessThanOrEqual(i.previousValue + c1 * i.step * i.previousSlope);
        expect(Math.abs(i.slope)).toBeLessThanOrEqual(c2 * Math.abs(i.previousSlope));
      }
    });

    it('10-D over a pytree of two leaves: the minimum (1, ..., 1) to 1e-6', async () => {
      type P = { head: Tensor; tail: Tensor };
      const f = (p: P) => rosenbrock(concat([p.head, p.tail]));
      const x0 = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
      const res = await optim
        .lbfgs({ memory: 8, maxIter: 500, tolGrad: 1e-10, tolChange: 0 })
        .minimize((p: P) => valueAndGrad(f)(p), { head: tensor(x0.slice(0, 4), { dtype: 'float64' }), tail: tensor(x0.slice(4), { dtype: 'float64' }) });
      expect(res.reason).toBe('tolGrad');
      const x = [...(await res.params.head.data()), ...(await res.params.tail.data())];
      expect(x).toHaveLength(10);
      for (const v of x) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
    });

    it('parameters of mixed dtypes are an error', async () => {
      await expect(
        optim.lbfgs().minimize((p: { a: Tensor; b: Tensor }) => valueAndGrad((q: typeof p) => q.a.sum().add(q.b.sum().astype('float32')))(p), {
          a: tensor([1]),
          b: tensor([1], { dtype: 'float64' }),
        }),
      ).rejects.toThrow(DTypeError);
    });
  },
  { float32: false },
);

describeBackends('lbfgs: a convex quadratic', (c) => {
  it('½ xᵀ A x − bᵀ x: the solution of A x = b', async () => {
    // A = M Mᵀ + I (symmetric positive definite), 6 × 6; the solution by Gaussian elimination in JS
    const n = 6;
    const M = Array.from({ length: n * n }, (_, k) => Math.sin(1.3 * k + 0.4));
    const A = Array.from({ length: n * n }, (_, k) => {
      const i = Math.floor(k / n),
        j = k % n;
      let s = i === j ? 1 : 0;
      for (let l = 0; l < n; l++) s += M[i * n + l]! * M[j * n + l]!;
      return s;
    });
    const b = Array.from({ length: n }, (_, i) => Math.cos(0.7 * i));
    const want = solve(A, b, n);
    const At = tensor(A, { shape: [n, n], dtype: c.dtype });
    const bt = tensor(b, { dtype: c.dtype });
    const f = (x: Tensor) => x.reshape([1, n]).matmul(At).reshape([n]).mul(x).sum().mul(0.5).sub(x.mul(bt).sum());
    const res = await optim
      .lbfgs({ tolGrad: c.dtype === 'float64' ? 1e-12 : 1e-4, tolChange: 0 })
      .minimize((x: Tensor) => valueAndGrad(f)(x), tensor(new Array(n).fill(0), { dtype: c.dtype }));
    expect(['tolGrad', 'lineSearch']).toContain(res.reason);
    const got = await res.params.data();
    const tol = c.dtype === 'float64' ? 1e-9 : 1e-3;
    want.forEach((w, i) => expect(Math.abs(got[i]! - w), `x[${i}]`).toBeLessThan(tol * (1 + Math.abs(w))));
  });
});

function solve(A: number[], b: number[], n: number): number[] {
  const m = A.map((v) => v);
  const x = b.slice();
  for (let k = 0; k < n; k++) {
    for (let i = k + 1; i < n; i++) {
      const r = m[i * n + k]! / m[k * n + k]!;
      for (let j = k; j < n; j++) m[i * n + j]! -= r * m[k * n + j]!;
      x[i]! -= r * x[k]!;
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k]!;
    for (let j = k + 1; j < n; j++) s -= m[k * n + j]! * x[j]!;
    x[k] = s / m[k * n + k]!;
  }
  return x;
}

describe('strongWolfe on 1-D functions', () => {
  /** φ and φ' as JS functions; the search runs on them directly. */
  const cases: { name: string; phi: (a: number) => number; dphi: (a: number) => number; step0: number }[] = [
    { name: 'quadratic, first step too short (extrapolates)', phi: (a) => (a - 30) ** 2, dphi: (a) => 2 * (a - 30), step0: 1 },
    { name: 'quadratic, first step too long (zooms)', phi: (a) => (a - 0.01) ** 2, dphi: (a) => 2 * (a - 0.01), step0: 1 },
    { name: 'quartic with a flat bottom', phi: (a) => (a - 2) ** 4 - a, dphi: (a) => 4 * (a - 2) ** 3 - 1, step0: 0.5 },
    { name: 'oscillating', phi: (a) => Math.sin(3 * a) + 0.2 * a * a - 4 * a, dphi: (a) => 3 * Math.cos(3 * a) + 0.4 * a - 4, step0: 2 },
    {
      name: 'Rosenbrock along −∇ from (−1.2, 1)',
      phi: (a) => rosen2(-1.2 + 215.6 * a, 1 + 88 * a),
      dphi: (a) => {
        const x = -1.2 + 215.6 * a,
          y = 1 + 88 * a;
        return (-400 * x * (y - x * x) - 2 * (1 - x)) * 215.6 + 200 * (y - x * x) * 88;
      },
      step0: 1e-3,
    },
  ];

  for (const cs of cases) {
    it(cs.name, async () => {
      const f0 = cs.phi(0),
        g0 = cs.dphi(0);
      expect(g0).toBeLessThan(0);
      const res = await optim.strongWolfe(async (a) => ({ step: a, value: cs.phi(a), slope: cs.dphi(a), data: null }), f0, g0, cs.step0, { c1, c2: 0.5 });
      expect(res.wolfe).toBe(true);
      const a = res.trial!.step;
      expect(a).toBeGreaterThan(0);
      // the conditions, recomputed from the functions at the returned step
      expect(cs.phi(a)).toBeLessThanOrEqual(f0 + c1 * a * g0);
      expect(Math.abs(cs.dphi(a))).toBeLessThanOrEqual(0.5 * Math.abs(g0));
      expect(res.evaluations).toBeLessThanOrEqual(25);
    });
  }

  it('reports failure instead of a step that does not decrease', async () => {
    // φ rises immediately although φ'(0) claims descent: no step decreases sufficiently
    const res = await optim.strongWolfe(async (a) => ({ step: a, value: a, slope: 1, data: null }), 0, -1, 1, { maxEvaluations: 10 });
    expect(res.trial).toBeNull();
    expect(res.wolfe).toBe(false);
    expect(res.evaluations).toBe(10);
  });

  it('bad arguments', async () => {
    const phi = async (a: number) => ({ step: a, value: a, slope: 1, data: null });
    await expect(optim.strongWolfe(phi, 0, 1, 1)).rejects.toThrow(/descend/);
    await expect(optim.strongWolfe(phi, 0, -1, 1, { c1: 0.5, c2: 0.4 })).rejects.toThrow(/c1 < c2/);
    throwsWith(() => optim.lbfgs({ memory: 0 }), ArgumentError, 'lbfgs', 'memory');
    throwsWith(() => optim.lbfgs({ lineSearch: 'backtracking' as never }), ArgumentError, 'lbfgs', 'strong-wolfe');
  });
});

function rosen2(x: number, y: number): number {
  return 100 * (y - x * x) ** 2 + (1 - x) ** 2;
}
