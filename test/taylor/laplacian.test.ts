// Laplacian and weighted Laplacian: every method against the trace of the Hessian from the first-order AD engine, closed forms and platform.md's constants.

import { expect, it } from 'vitest';
import { type Tensor, laplacian, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { platformData, platformMlp } from './mlp.js';
import { type Act, FUNCTIONS, T, expectClose, mlp, rowHessians, trace, uniform, weightedTrace } from './zoo.js';

const METHODS = ['collapsed', 'taylor', 'nested'] as const;
const ACTS: Act[] = ['tanh', 'sin', 'sigmoid', 'softplus'];

describeBackends(
  'laplacian (float64 reference)',
  () => {
    const N = 4,
      D = 3;
    const X = T(uniform(N * D, 11, -1, 1), [N, D]);

    for (const act of ACTS) {
      it(`${act} MLP: every method equals tr(hessian) to 1e-10`, async () => {
        const f = mlp(act, D, 5, 100);
        const want = (await rowHessians(f, X)).map(trace);
        for (const method of METHODS) expectClose(await laplacian(f, { method })(X).data(), want, 1e-10, 0, `${act}/${method}`);
      });
    }

    for (const [name, f] of Object.entries(FUNCTIONS)) {
      it(`${name}: every method equals tr(hessian) to 1e-10`, async () => {
        const want = (await rowHessians(f, X)).map(trace);
        for (const method of METHODS) expectClose(await laplacian(f, { method })(X).data(), want, 1e-10, 0, `${name}/${method}`);
      });
    }

    it('weighted Laplacian equals tr(Vᵀ H V) for every method (R < D and R > D)', async () => {
      const f = mlp('tanh', D, 5, 200);
      const Hs = await rowHessians(f, X);
      for (const R of [2, 5]) {
        const v = uniform(D * R, 300 + R, -1, 1);
        const want = Hs.map((H) => weightedTrace(H, v, R));
        for (const method of METHODS) {
          expectClose(await laplacian(f, { method, weighting: T(v, [D, R]) })(X).data(), want, 1e-10, 0, `R=${R}/${method}`);
        }
      }
    });

    it('closed forms: Σ sin(x_d) -> −Σ sin(x_d); |x|⁴ -> 4(D+2)|x|²; [N, 1] outputs accepted', async () => {
      const xs = await X.data();
      const sinSum = (Y: Tensor) => Y.sin().sum(1);
      const r4 = (Y: Tensor) => Y.mul(Y).sum(1, true).mul(Y.mul(Y).sum(1, true)); // [N, 1]
      const wantSin = Array.from({ length: N }, (_, n) => -[0, 1, 2].reduce((s, d) => s + Math.sin(xs[n * D + d]!), 0));
      const wantR4 = Array.from({ length: N }, (_, n) => 4 * (D + 2) * [0, 1, 2].reduce((s, d) => s + xs[n * D + d]! ** 2, 0));
      for (const method of METHODS) {
        expectClose(await laplacian(sinSum, { method })(X).data(), wantSin, 1e-12, 0, `sin/${method}`);
        const out = laplacian(r4, { method })(X);
        expect(out.shape).toEqual([N]);
        expectClose(await out.data(), wantR4, 1e-12, 0, `r4/${method}`);
      }
    });

    it('a function linear in X, or constant, has a zero Laplacian (no second-order coefficient anywhere)', async () => {
      const w = T([1, -2, 0.5], [D]);
      const c = T([1, 2, 3, 4], [N]);
      for (const method of METHODS) {
        expect(Array.from(await laplacian((Y: Tensor) => Y.matmul(w).add(1), { method })(X).data())).toEqual([0, 0, 0, 0]);
        expect(Array.from(await laplacian(() => c, { method })(X).data())).toEqual([0, 0, 0, 0]); // independent of X
      }
    });
  },
  { float32: false },
);

describeBackends('laplacian of the benchmark MLP (platform.md)', (c) => {
  it('Δf(X[0]) = 0.420555924049 and Σ = 29.7705016689 for every method', async () => {
    const { f, X } = platformMlp(platformData(), c.dtype);
    for (const method of METHODS) {
      const v = await laplacian(f, { method })(X).data();
      const sum = Array.from(v).reduce((a, b) => a + b, 0);
      if (c.dtype === 'float64') {
        expect(Math.abs(v[0]! - 0.420555924049)).toBeLessThan(1e-12);
        expect(Math.abs(sum - 29.7705016689)).toBeLessThan(1e-9);
      } else {
        // float32 weights are exact (fround), the arithmetic rounds: the case tolerance
        expectClose([v[0]!, sum], [0.420555924049, 29.7705016689], c.rtol, 0, method);
      }
    }
  });

  it('methods agree elementwise on a tanh MLP', async () => {
    const X = tensor(Array.from(uniform(6 * 4, 5)), { shape: [6, 4], dtype: c.dtype });
    const f = mlp('tanh', 4, 8, 9, c.dtype);
    const ref = await laplacian(f, { method: 'nested' })(X).data();
    for (const method of ['collapsed', 'taylor'] as const) expectClose(await laplacian(f, { method })(X).data(), ref, c.rtol, c.atol, method);
  });
});
