// Randomized pde terms: Hutchinson (Rademacher, Gaussian) and STDE's sampled coordinates for Laplacians over chosen coordinates and factored traces, the Gaussian biharmonic; shared or per-row directions. Unbiased (mean within 4 standard errors of the nested-AD value), variance as the formula says, deterministic per seed.

import { expect, it } from 'vitest';
import { type Tensor, laplacian, operatorCost, pde } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { derivativeTensors, mlpField } from './pde-ref.js';
import { T, rowHessians, uniform } from './zoo.js';

const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const variance = (a: readonly number[]): number => {
  const m = mean(a);
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1);
};

/** Asserts the samples' mean is within 4 standard errors of `exact`. */
function expectUnbiased(samples: readonly number[], exact: number, what: string): void {
  const se = Math.sqrt(variance(samples) / samples.length);
  expect(se, `${what}: the estimates vary`).toBeGreaterThan(0);
  expect(Math.abs(mean(samples) - exact), `${what}: mean ${mean(samples)} vs ${exact} (se ${se})`).toBeLessThan(4 * se);
}

/** Var(F2(v)) of one sample for v = Σ_k z_k e_{coords[k]} (the restriction B of H to coords). */
function singleSampleVariance(distribution: 'rademacher' | 'gaussian' | 'coordinates', B: number[][]): number {
  let off = 0,
    diag = 0,
    diagSq = 0;
  B.forEach((row, i) =>
    row.forEach((h, j) => {
      if (i === j) {
        diag += h;
        diagSq += h * h;
      } else off += h * h;
    }),
  );
  if (distribution === 'rademacher') return 2 * off;
  if (distribution === 'gaussian') return 2 * (off + diagSq);
  return B.length * diagSq - diag * diag; // n ∂²_i with i uniform
}

const DISTRIBUTIONS = ['rademacher', 'gaussian', 'coordinates'] as const;

describeBackends(
  'pde: randomized terms (float64)',
  () => {
    const D = 3;
    const f = mlpField('tanh', D, 6, 1, 601);
    const x = uniform(D, 602, -1, 1);
    const coords = [0, 2];
    /** M copies of the point x: with per-row directions every row is an independent sample. */
    const copies = (M: number): Tensor => T(Array.from({ length: M }, () => Array.from(x)).flat(), [M, D]);

    it('Laplacian over chosen coordinates, per-row directions: every row an independent unbiased sample with the variance of the formula', async () => {
      const H = (await rowHessians((Y: Tensor) => f(Y).reshape([Y.shape[0]!]), copies(1)))[0]!;
      const exact = H[0]![0]! + H[2]![2]!;
      const B = coords.map((i) => coords.map((j) => H[i]![j]!));
      const M = 400;
      for (const distribution of DISTRIBUTIONS) {
        for (const S of [1, 3]) {
          const est = Array.from(
            await pde(f, { lap: { laplacian: coords, estimator: { distribution, samples: S, seed: 7, perRow: true } } })(copies(M)).lap.data(),
          );
          expectUnbiased(est, exact, `${distribution} S=${S}`);
          const ratio = variance(est) / (singleSampleVariance(distribution, B) / S);
          expect(ratio, `${distribution} S=${S}: sample variance / (formula / S)`).toBeGreaterThan(0.7);
          expect(ratio).toBeLessThan(1.4);
        }
      }
    });

    it('shared directions: the rows see the same directions (identical rows, identical estimates); unbiased over seeds', async () => {
      const H = (await rowHessians((Y: Tensor) => f(Y).reshape([Y.shape[0]!]), copies(1)))[0]!;
      const exact = H[0]![0]! + H[2]![2]!;
      for (const distribution of DISTRIBUTIONS) {
        const est: number[] = [];
        for (let seed = 0; seed < 200; seed++) {
          const v = await pde(f, { lap: { laplacian: coords, estimator: { distribution, samples: 2, seed } } })(copies(2)).lap.data();
          expect(v[0]).toBe(v[1]);
          est.push(v[0]!);
        }
        expectUnbiased(est, exact, `shared ${distribution}`);
      }
    });

    it('factored traces tr(Sᵀ H S), constant and x-dependent S, shared and per-row: unbiased', async () => {
      const X = copies(1);
      const H = (await rowHessians((Y: Tensor) => f(Y).reshape([Y.shape[0]!]), X))[0]!;
      const s = [
        [0.5, -1],
        [1, 0.25],
        [-0.5, 2],
      ];
      const exact = [0, 1].reduce((acc, r) => acc + H.reduce((t, row, i) => t + row.reduce((u, h, j) => u + s[i]![r]! * h * s[j]![r]!, 0), 0), 0);
      const Sc = T(s.flat(), [D, 2]);
      const Sx = (Y: Tensor): Tensor =>
        Sc.reshape([1, D, 2])
          .broadcastTo([Y.shape[0]!, D, 2])
          .add(Y.mul(0).reshape([Y.shape[0]!, D, 1]));
      for (const factor of [Sc, Sx]) {
        for (const distribution of DISTRIBUTIONS) {
          const perRow = Array.from(
            await pde(f, { t: { trace: { factor }, estimator: { distribution, samples: 1, seed: 3, perRow: true } } })(copies(300)).t.data(),
          );
          expectUnbiased(perRow, exact, `${typeof factor} per-row ${distribution}`);
          const shared: number[] = [];
          for (let seed = 0; seed < 150; seed++)
            shared.push((await pde(f, { t: { trace: { factor }, estimator: { distribution, samples: 1, seed } } })(X).t.data())[0]!);
          expectUnbiased(shared, exact, `${typeof factor} shared ${distribution}`);
        }
      }
    });

    it('biharmonic, Gaussian per-row directions: E[F4(v)] / 3 unbiased against nested jacobians', async () => {
      const X = copies(1);
      const d4 = (await derivativeTensors(f, X, 4))[4]![0] as number[][][][][];
      let exact = 0;
      for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) exact += d4[0]![a]![a]![b]![b]!;
      const est = Array.from(
        await pde(f, { b: { biharmonic: 'all', estimator: { distribution: 'gaussian', samples: 2, seed: 11, perRow: true } } })(copies(600)).b.data(),
      );
      expectUnbiased(est, exact, 'biharmonic');
    });

    it('the same seed gives the same estimate, another seed another; per-row directions differ between identical rows', async () => {
      const X = copies(4);
      const est = async (seed: number, perRow: boolean) =>
        Array.from(await pde(f, { lap: { laplacian: 'all', estimator: { distribution: 'gaussian', samples: 2, seed, perRow } } })(X).lap.data());
      expect(await est(5, true)).toEqual(await est(5, true));
      expect(await est(5, true)).not.toEqual(await est(6, true));
      expect(new Set(await est(5, true)).size).toBe(4);
      expect(new Set(await est(5, false)).size).toBe(1);
      // laplacian() takes the same estimators (it is a one-term spec): the same seed, the same numbers
      for (const distribution of DISTRIBUTIONS) {
        const e = { distribution, samples: 3, seed: 9, perRow: true };
        const viaPde = await pde(f, { lap: { laplacian: 'all', estimator: e } })(X).lap.data();
        expect(Array.from(await laplacian(f, { estimator: e })(X).data())).toEqual(Array.from(viaPde));
      }
    });

    it("sampled coordinates are the gradient's directions: a spec with ∇u and a sampled Laplacian propagates 1 + D + 1 vectors", () => {
      const X = copies(2);
      const spec = { du: { grad: 'all' }, lap: { laplacian: 'all', estimator: { distribution: 'coordinates', samples: 2, seed: 1 } } } as const;
      expect(operatorCost('pde', f, X, { terms: spec }).vectors).toBe(1 + D + 1);
      // Hutchinson directions are new ones: S more
      const hutch = { du: { grad: 'all' }, lap: { laplacian: 'all', estimator: { distribution: 'gaussian', samples: 2, seed: 1 } } } as const;
      expect(operatorCost('pde', f, X, { terms: hutch }).vectors).toBe(1 + D + 2 + 1);
    });
  },
  { float32: false },
);
