// collapsedJet against standard Taylor mode summed over directions; transformations of the operators (grad of a Laplacian loss, jet of a Laplacian).

import { expect, it } from 'vitest';
import { type Tensor, collapsedJet, grad, jet, jetDirections, laplacian } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { FUNCTIONS, T, expectClose, mlp, uniform } from './zoo.js';

describeBackends(
  'collapsed Taylor mode (float64)',
  () => {
    const X = T(uniform(4 * 3, 61, -1, 1), [4, 3]);
    const R = 3;
    const fns: Record<string, (Y: Tensor) => Tensor> = { ...FUNCTIONS, 'sigmoid MLP': mlp('sigmoid', 3, 4, 62) };

    for (const [name, f] of Object.entries(fns)) {
      it(`${name}: Σ_r w_r Z_K,r and the lower coefficients equal standard Taylor mode, K = 1..4`, async () => {
        for (const K of [1, 2, 3, 4]) {
          const perDir = Array.from({ length: K }, (_, k) => T(uniform(R * 12, 100 * K + k), [R, 4, 3]));
          const w = [0.5, -1.25, 2];
          // top input: Σ_r w_r X_K,r
          const topIn = perDir[K - 1]!.mul(T(w, [R, 1, 1])).sum(0);
          const [, c] = collapsedJet(f, [X], [perDir.slice(0, K - 1)], [topIn], { order: K, weights: w });
          const [, s] = jetDirections(f, [X], [perDir]);
          const wantTop = await (s[K - 1] as Tensor)
            .mul(T(w, [R, 1]))
            .sum(0)
            .data();
          expectClose(await c.top.data(), wantTop, 1e-11, 1e-12, `${name} K=${K} top`);
          for (let k = 0; k < K - 1; k++) expectClose(await c.lower[k]!.data(), await (s[k] as Tensor).data(), 1e-12, 1e-13, `${name} K=${K} Z${k + 1}`);
        }
      });
    }
  },
  { float32: false },
);

describeBackends(
  'transformations of the operators (float64)',
  () => {
    it('grad of a Laplacian loss with respect to the weights: collapsed = taylor = nested = finite differences', async () => {
      const N = 3,
        D = 2,
        H = 4;
      const X = T(uniform(N * D, 63, -1, 1), [N, D]);
      const w1 = uniform(D * H, 64, -1, 1);
      const loss = (method: 'collapsed' | 'taylor' | 'nested') => (W: Tensor) => {
        const f = (Y: Tensor) => Y.matmul(W).tanh().sum(1);
        return laplacian(f, { method })(X).square().sum();
      };
      const W = T(w1, [D, H]);
      const ref = Array.from(await (grad(loss('nested'))(W) as Tensor).data());
      for (const method of ['collapsed', 'taylor'] as const) expectClose(await (grad(loss(method))(W) as Tensor).data(), ref, 1e-10, 1e-12, method);
      // central differences on two entries
      for (const i of [0, 5]) {
        const h = 1e-5;
        const at = async (d: number) => {
          const w = Float64Array.from(w1);
          w[i]! += d;
          return loss('collapsed')(T(w, [D, H])).item();
        };
        const fd = ((await at(h)) - (await at(-h))) / (2 * h);
        expect(Math.abs(fd - ref[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(ref[i]!)));
      }
    });

    it('jet of a collapsed Laplacian: the t-derivative of Δf(x + t v) matches the Laplacian of the directional derivative', async () => {
      const N = 2,
        D = 3;
      const X = T(uniform(N * D, 65, -1, 1), [N, D]);
      const V = T(uniform(N * D, 66, -1, 1), [N, D]);
      const f = mlp('tanh', D, 5, 67);
      const [, [d1]] = jet((Y: Tensor) => laplacian(f)(Y), [X], [[V]]);
      // Δ(∇f·v) for a fixed v per row: v enters as a constant, so laplacian commutes with it
      const want = await laplacian(
        (Y: Tensor) => {
          const [, [t]] = jet(f, [Y], [[V]]);
          return t as Tensor;
        },
        { method: 'nested' },
      )(X).data();
      expectClose(await (d1 as Tensor).data(), want, 1e-10, 1e-12, 'd/dt Δf');
    });
  },
  { float32: false },
);
