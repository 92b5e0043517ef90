// Randomized (Hutchinson / STDE) estimators: determinism per seed, unbiasedness within 4 standard errors, variance = closed form / S.

import { expect, it } from 'vitest';
import { type Tensor, biharmonic, laplacian } from '../../src/index.js';
import { Rng } from '../../src/random.js';
import { describeBackends } from '../helpers/backends.js';
import { T, expectClose, mlp, rowHessians, trace, uniform, weightedTrace } from './zoo.js';

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const variance = (a: number[]): number => {
  const m = mean(a);
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1);
};

describeBackends(
  'randomized estimators (float64)',
  () => {
    const N = 2,
      D = 3;
    const X = T(uniform(N * D, 71, -1, 1), [N, D]);
    const f = mlp('tanh', D, 6, 72);

    it('the same seed gives the same estimate; another seed another; all methods use the same directions', async () => {
      for (const distribution of ['rademacher', 'gaussian'] as const) {
        const est = (seed: number, method: 'collapsed' | 'taylor' | 'nested' = 'collapsed') =>
          laplacian(f, { method, estimator: { distribution, samples: 3, seed } })(X).data();
        const a = Array.from(await est(5)),
          b = Array.from(await est(5)),
          c = Array.from(await est(6));
        expect(a).toEqual(b);
        expect(a).not.toEqual(c);
        expectClose(await est(5, 'taylor'), a, 1e-12, 0, `${distribution} taylor`);
        expectClose(await est(5, 'nested'), a, 1e-12, 0, `${distribution} nested`);
      }
      const g = (seed: number) => biharmonic(f, { estimator: { distribution: 'gaussian', samples: 2, seed } })(X).data();
      expect(Array.from(await g(9))).toEqual(Array.from(await g(9)));
      expect(Array.from(await g(9))).not.toEqual(Array.from(await g(10)));
    });

    it('Hutchinson: mean within 4 standard errors of the exact Laplacian; variance = closed form / S', async () => {
      const Hs = await rowHessians(f, X);
      const seeds = 300;
      for (const distribution of ['rademacher', 'gaussian'] as const) {
        for (const S of [1, 4]) {
          const est: number[][] = [[], []];
          for (let s = 0; s < seeds; s++) {
            const v = await laplacian(f, { estimator: { distribution, samples: S, seed: 1000 * S + s } })(X).data();
            est[0]!.push(v[0]!);
            est[1]!.push(v[1]!);
          }
          for (let n = 0; n < N; n++) {
            const H = Hs[n]!;
            const exact = trace(H);
            const se = Math.sqrt(variance(est[n]!) / seeds);
            expect(Math.abs(mean(est[n]!) - exact), `${distribution} S=${S} row ${n}: mean ${mean(est[n]!)} vs ${exact}`).toBeLessThan(4 * se);
            // Var(vᵀHv) = 2 Σ_{i≠j} H_ij² (Rademacher), 2 ‖H‖²_F (Gaussian); the mean of S samples divides it by S
            let off = 0,
              diag = 0;
            H.forEach((row, i) => row.forEach((h, j) => (i === j ? (diag += h * h) : (off += h * h))));
            const theory = (2 * (distribution === 'rademacher' ? off : off + diag)) / S;
            const ratio = variance(est[n]!) / theory;
            expect(ratio, `${distribution} S=${S} row ${n}: sample variance / (closed form / S)`).toBeGreaterThan(0.6);
            expect(ratio).toBeLessThan(1.5);
          }
        }
      }
    });

    it('weighted Hutchinson: mean within 4 standard errors of tr(Vᵀ H V)', async () => {
      const R = 2;
      const v = uniform(D * R, 73, -1, 1);
      const V = T(v, [D, R]);
      const Hs = await rowHessians(f, X);
      const est: number[] = [];
      for (let s = 0; s < 300; s++)
        est.push((await laplacian(f, { weighting: V, estimator: { distribution: 'rademacher', samples: 1, seed: s } })(X).data())[0]!);
      const exact = weightedTrace(Hs[0]!, v, R);
      expect(Math.abs(mean(est) - exact)).toBeLessThan(4 * Math.sqrt(variance(est) / est.length));
    });

    it('STDE biharmonic (Gaussian): mean within 4 standard errors of the exact value, for every method', async () => {
      const a = [0.6, -0.3, 0.4];
      const at = T(a, [3]);
      // Δ² exp(a·x) = |a|⁴ exp(a·x), Δ² |x|⁴ = 8D(D+2)
      const g = (Y: Tensor) =>
        Y.matmul(at)
          .exp()
          .add(Y.mul(Y).sum(1).mul(Y.mul(Y).sum(1)).mul(0.05));
      const xs = await X.data();
      const a2 = a.reduce((s, u) => s + u * u, 0);
      const exact = [0, 1].map((n) => a2 * a2 * Math.exp(a.reduce((s, u, j) => s + u * xs[n * D + j]!, 0)) + 0.05 * 8 * D * (D + 2));
      for (const method of ['collapsed', 'taylor', 'nested'] as const) {
        const seeds = method === 'nested' ? 60 : 300;
        const est: number[][] = [[], []];
        for (let s = 0; s < seeds; s++) {
          const v = await biharmonic(g, { method, estimator: { distribution: 'gaussian', samples: 2, seed: s } })(X).data();
          est[0]!.push(v[0]!);
          est[1]!.push(v[1]!);
        }
        for (let n = 0; n < N; n++) {
          const se = Math.sqrt(variance(est[n]!) / seeds);
          expect(Math.abs(mean(est[n]!) - exact[n]!), `${method} row ${n}: mean ${mean(est[n]!)} vs ${exact[n]} (se ${se})`).toBeLessThan(4 * se);
        }
      }
    });
  },
  { float32: false },
);

describeBackends('randomized estimators on every backend', (c) => {
  it('the estimate equals (1/S) Σ_s v_sᵀ H v_s for the seeded directions (closed-form Hessian)', async () => {
    const N = 5,
      D = 4,
      S = 3,
      seed = 3;
    const xs = uniform(N * D, 81, -1, 1);
    const a = [0.5, -0.25, 0.75, 0.125];
    const X = T(xs, [N, D], c.dtype);
    // f = Σ_d sin(x_d) + (a·x)²: H = diag(−sin x) + 2 a aᵀ
    const f = (Y: Tensor) =>
      Y.sin()
        .sum(1)
        .add(Y.matmul(T(a, [D], c.dtype)).square());
    for (const distribution of ['rademacher', 'gaussian'] as const) {
      // the documented draw: Rng(seed), S directions of D entries, row-major
      const rng = new Rng(seed);
      const V = Array.from({ length: S * D }, () => (distribution === 'gaussian' ? rng.normal() : rng.rademacher()));
      const want = Array.from({ length: N }, (_, n) => {
        let acc = 0;
        for (let s = 0; s < S; s++) {
          const v = V.slice(s * D, (s + 1) * D);
          const av = v.reduce((q, vi, i) => q + vi * a[i]!, 0);
          acc += v.reduce((q, vi, i) => q - Math.sin(xs[n * D + i]!) * vi * vi, 0) + 2 * av * av;
        }
        return acc / S;
      });
      for (const method of ['collapsed', 'taylor', 'nested'] as const) {
        const got = await laplacian(f, { method, estimator: { distribution, samples: S, seed } })(X).data();
        expectClose(got, want, c.rtol, c.atol * 10, `${c.name} ${distribution} ${method}`);
      }
    }
  });
});
