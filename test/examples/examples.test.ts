// The examples (examples/) on small problems, against references: per-example gradient norms
// against their closed form, Newton-CG against a plain-JS gradient at its result, the MAML
// meta-gradient against central differences (float64) and its vmap over tasks against a loop, and
// the fixed-point hypergradient (implicit and unrolled) against the closed-form ridge solution.

import { expect, it } from 'vitest';
import { hypergradient } from '../../examples/hypergradient.js';
import { type Net, metaGradient, metaLoss, taskLoss } from '../../examples/maml.js';
import { newtonCg } from '../../examples/newton-cg.js';
import { perExampleGradNorms } from '../../examples/per-example-gradients.js';
import { type Tensor, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { values } from '../helpers/batch.js';
import { expectClose, randomData } from '../helpers/finiteDiff.js';
import { matvecOf, solve } from '../helpers/linalg.js';

describeBackends('examples', (bc) => {
  const T = (data: number[], shape?: number[]) => tensor(data, { dtype: bc.dtype, ...(shape ? { shape } : {}) });

  it('per-example gradient norms match the closed form', async () => {
    const [N, D] = [6, 3];
    const [xs, ys, w] = [randomData(N * D, 1), randomData(N, 2), randomData(D, 3)];
    const b = 0.2;
    const want = ys.map((y, i) => {
      const x = xs.slice(i * D, (i + 1) * D);
      const t = Math.tanh(x.reduce((s, v, j) => s + v * w[j]!, b));
      const r = 2 * (t - y) * (1 - t * t); // ∂loss/∂(w·x + b)
      return Math.abs(r) * Math.sqrt(x.reduce((s, v) => s + v * v, 1));
    });
    expectClose(await values(perExampleGradNorms({ w: T(w), b: T([b], []) }, T(xs, [N, D]), T(ys))), want, bc.rtol, bc.atol, 'norms');
  });

  it('Newton-CG reaches a point where the logistic gradient (in plain JS) vanishes', async () => {
    const [N, D, lambda] = [40, 4, 0.1];
    const xs = randomData(N * D, 4);
    const s = randomData(N, 5).map((v) => (v > 0 ? 1 : -1));
    const w = await values(await newtonCg(T(xs, [N, D]), T(s), lambda, T(new Array(D).fill(0)), 6));
    const g = w.map((wj, j) => {
      let acc = lambda * wj;
      for (let i = 0; i < N; i++) {
        const m = s[i]! * xs.slice(i * D, (i + 1) * D).reduce((a, v, k) => a + v * w[k]!, 0);
        acc += (-s[i]! * xs[i * D + j]!) / (1 + Math.exp(m)) / N; // d/dw softplus(−m) = −σ(−m) s x
      }
      return acc;
    });
    expect(Math.hypot(...g)).toBeLessThan(bc.dtype === 'float64' ? 1e-12 : 1e-5);
  });

  it('the fixed-point hypergradient, implicit and unrolled, matches the closed-form ridge solution', async () => {
    const [N, M, D, lambda] = [30, 12, 3, 0.3];
    const [xs, y, xv, yv] = [randomData(N * D, 6), randomData(N, 7), randomData(M * D, 8), randomData(M, 9)];
    const r = { X: T(xs, [N, D]), y: T(y), Xv: T(xv, [M, D]), yv: T(yv), eta: 0.4, iterations: 120 };
    // w* = (A + λI)⁻¹ c, dw*/dλ = −(A + λI)⁻¹ w*, dV/dλ = (2/M) (Xv w* − yv)ᵀ Xv dw*/dλ
    const A = Array.from({ length: D * D }, (_, k) => {
      const [i, j] = [Math.floor(k / D), k % D];
      return Array.from({ length: N }, (_, n) => xs[n * D + i]! * xs[n * D + j]!).reduce((a, v) => a + v, 0) / N + (i === j ? lambda : 0);
    });
    const c = Array.from({ length: D }, (_, i) => Array.from({ length: N }, (_, n) => xs[n * D + i]! * y[n]!).reduce((a, v) => a + v, 0) / N);
    const ws = solve(A, c);
    const dw = solve(A, ws).map((v) => -v);
    const rowDot = (rows: number[], i: number, v: number[]) => v.reduce((a, vj, j) => a + rows[i * D + j]! * vj, 0);
    const want = Array.from({ length: M }, (_, i) => (2 / M) * (rowDot(xv, i, ws) - yv[i]!) * rowDot(xv, i, dw)).reduce((a, v) => a + v, 0);
    expect(
      matvecOf(A, ws)
        .map((v, i) => v - c[i]!)
        .every((v) => Math.abs(v) < 1e-12),
    ).toBe(true);
    for (const method of ['implicit', 'unrolled'] as const) {
      expectClose(await values(hypergradient(r, T([lambda], []), method)), [want], bc.rtol * 10, bc.atol * 10, method);
    }
  });
});

describeBackends(
  'MAML example',
  () => {
    it('the meta-gradient matches central differences, and the vmap over tasks a loop', async () => {
      const [Tk, K, H, alpha] = [3, 4, 5, 0.1];
      const T = (seed: number, shape: number[], scale = 1) =>
        tensor(
          randomData(
            shape.reduce((a, b) => a * b, 1),
            seed,
          ).map((v) => v * scale),
          { shape, dtype: 'float64' },
        );
      const [XS, XQ] = [T(1, [Tk, K, 1], 2), T(2, [Tk, K, 1], 2)];
      const [YS, YQ] = [XS.sin(), XQ.add(0.3).sin()];
      const p: Net = { W1: T(3, [1, H]), b1: T(4, [H]), W2: T(5, [H, 1], 0.5) };
      const row = (A: Tensor, t: number) => A.slice([t], [t + 1]).reshape([K, 1]);
      const loop = Array.from({ length: Tk }, (_, t) => taskLoss(p, row(XS, t), row(YS, t), row(XQ, t), row(YQ, t), alpha));
      const loopMean = (await Promise.all(loop.map(values))).reduce((a, v) => a + v[0]!, 0) / Tk;
      expectClose(await values(metaLoss(p, XS, YS, XQ, YQ, alpha)), [loopMean], 1e-12, 1e-12, 'vmap over tasks vs loop');
      // directional derivative along a random direction of every parameter
      const dir: Net = { W1: T(6, [1, H]), b1: T(7, [H]), W2: T(8, [H, 1]) };
      const g = metaGradient(p, XS, YS, XQ, YQ, alpha);
      const keys = ['W1', 'b1', 'W2'] as const;
      let analytic = 0;
      for (const k of keys) {
        const [gv, dv] = [await values(g[k]), await values(dir[k])];
        analytic += gv.reduce((a, v, i) => a + v * dv[i]!, 0);
      }
      const eps = 1e-5;
      const at = async (d: number) => {
        const q = Object.fromEntries(keys.map((k) => [k, p[k].add(dir[k].mul(d))])) as unknown as Net;
        return (await values(metaLoss(q, XS, YS, XQ, YQ, alpha)))[0]!;
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      expectClose([analytic], [fd], 1e-6, 1e-9, 'meta-gradient vs central differences');
    });
  },
  { float32: false },
);
