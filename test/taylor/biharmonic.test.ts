// Biharmonic: interpolation and nested-Laplacian routes of every method against the Laplacian of the Laplacian (first-order AD Hessians) and closed forms.

import { expect, it } from 'vitest';
import { type Tensor, biharmonic, hessian, laplacian, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { type Act, FUNCTIONS, T, expectClose, mlp, uniform } from './zoo.js';

/** Δ²f per row by the first-order AD engine only: trace of the Hessian of the trace of the Hessian. */
async function hessianBiharmonic(f: (X: Tensor) => Tensor, X: Tensor): Promise<number[]> {
  const [N, D] = X.shape as [number, number];
  const xs = await X.data();
  const eye = T(
    Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0)),
    [D, D],
  );
  const lap = (x: Tensor): Tensor => (hessian((y: Tensor) => f(y.reshape([1, D])).sum())(x) as Tensor).mul(eye).sum();
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    const H = hessian(lap)(T(xs.slice(n * D, (n + 1) * D), [D])) as Tensor;
    out.push(await H.mul(eye).sum().item());
  }
  return out;
}

const ROUTES = [
  { method: 'collapsed', exact: 'interpolation' },
  { method: 'collapsed', exact: 'nested-laplacian' },
  { method: 'taylor', exact: 'interpolation' },
  { method: 'taylor', exact: 'nested-laplacian' },
  { method: 'nested', exact: 'nested-laplacian' },
  { method: 'nested', exact: 'interpolation' },
] as const;

describeBackends(
  'biharmonic (float64 reference)',
  () => {
    const N = 3,
      D = 2;
    const X = T(uniform(N * D, 21, -1, 1), [N, D]);

    for (const act of ['tanh', 'sin', 'sigmoid', 'softplus'] as Act[]) {
      it(`${act} MLP: every route equals the Hessian trace of the Hessian trace to 1e-10`, async () => {
        const f = mlp(act, D, 4, 60);
        const want = await hessianBiharmonic(f, X);
        for (const r of ROUTES) expectClose(await biharmonic(f, r)(X).data(), want, 1e-10, 0, `${act}/${r.method}/${r.exact}`);
      });
    }

    for (const name of ['products', 'exp/log', 'division']) {
      it(`${name} (D = 3): interpolation equals the Laplacian of the Laplacian`, async () => {
        const f = FUNCTIONS[name]!;
        const X3 = T(uniform(2 * 3, 22, -1, 1), [2, 3]);
        // the Laplacian of the nested (first-order AD) Laplacian: no Taylor mode involved
        const want = await laplacian((Y: Tensor) => laplacian(f, { method: 'nested' })(Y), { method: 'nested' })(X3).data();
        for (const method of ['collapsed', 'taylor'] as const) {
          expectClose(await biharmonic(f, { method, exact: 'interpolation' })(X3).data(), want, 1e-10, 0, `${name}/${method}`);
        }
      });
    }

    it('closed forms: |x|⁴ -> 8D(D+2) and exp(a·x) -> |a|⁴ exp(a·x), for D = 1..4', async () => {
      for (const d of [1, 2, 3, 4]) {
        const Xd = T(uniform(2 * d, 30 + d, -1, 1), [2, d]);
        const xs = await Xd.data();
        const a = uniform(d, 40 + d, -1, 1);
        const at = T(a, [d]);
        const r4 = (Y: Tensor) => Y.mul(Y).sum(1).mul(Y.mul(Y).sum(1));
        const ex = (Y: Tensor) => Y.matmul(at).exp();
        const a2 = a.reduce((s, v) => s + v * v, 0);
        const wantEx = [0, 1].map((n) => a2 * a2 * Math.exp(a.reduce((s, v, j) => s + v * xs[n * d + j]!, 0)));
        for (const r of ROUTES) {
          expectClose(await biharmonic(r4, r)(Xd).data(), [8 * d * (d + 2), 8 * d * (d + 2)], 1e-12, 0, `r4 D=${d} ${r.method}/${r.exact}`);
          expectClose(await biharmonic(ex, r)(Xd).data(), wantEx, 1e-12, 0, `exp D=${d} ${r.method}/${r.exact}`);
        }
      }
    });
  },
  { float32: false },
);

describeBackends('biharmonic: routes agree', (c) => {
  it('interpolation and nested Laplacians agree on a tanh MLP (D = 3)', async () => {
    const X = tensor(Array.from(uniform(4 * 3, 23)), { shape: [4, 3], dtype: c.dtype });
    const f = mlp('tanh', 3, 6, 24, c.dtype);
    const ref = await biharmonic(f, { method: 'collapsed', exact: 'nested-laplacian' })(X).data();
    const scale = Math.max(...Array.from(ref, Math.abs));
    for (const r of ROUTES) expectClose(await biharmonic(f, r)(X).data(), ref, c.rtol * 10, c.atol * 10 * scale, `${r.method}/${r.exact}`);
    expect(ref.length).toBe(4);
  });
});
