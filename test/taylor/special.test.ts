// Taylor rules of erf, log1p, expm1 and atan2 ('partials' and 'composite' kinds) and of gelu and
// softplus: jet against nested jvp to order 5, and collapsed Taylor mode against jetDirections.

import { it } from 'vitest';
import { type Tensor, atan2, collapsedJet, jet, jetDirections } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { T, expectClose, nestedJvpCoefficients, uniform } from './zoo.js';

const ONE: Record<string, (x: Tensor) => Tensor> = {
  erf: (x) => x.erf(),
  'erf of a product (every coefficient feeds the partials series)': (x) => x.mul(x).mul(1.3).erf(),
  log1p: (x) => x.log1p(),
  expm1: (x) => x.expm1(),
  gelu: (x) => x.gelu(),
  softplus: (x) => x.mul(2).softplus(),
  'atan2 with a constant x': (x) => atan2(x, 0.7),
  'atan2 with a constant y': (x) => atan2(-0.4, x.add(0.2)),
  'atan2 of a curve': (x) => atan2(x.sin(), x.cos().add(1.5)),
};

describeBackends(
  'jet of the special functions against nested jvp (float64)',
  () => {
    const x0 = T(uniform(5, 61, -0.8, 0.8), [5]);
    const Xs = [1, 2, 3, 4, 5].map((k) => T(uniform(5, 70 + k, -1, 1), [5]));

    for (const [name, fn] of Object.entries(ONE)) {
      it(`${name}: K = 5 with every input coefficient non-zero`, async () => {
        const [y, zs] = jet(fn, [x0], [Xs]);
        expectClose(await y.data(), await fn(x0).data(), 1e-15, 1e-15, 'primal');
        const want = await nestedJvpCoefficients(fn, [x0], [Xs], 5);
        for (let k = 0; k < 5; k++) expectClose(await zs[k]!.data(), want[k]!, 1e-10, 1e-10, `${name} Z${k + 1}`);
      });
    }

    it('atan2 of two primals, both with series, K = 4', async () => {
      const y0 = T(uniform(6, 80), [6]),
        xa = T(uniform(6, 81, 0.5, 1.5), [6]);
      const sy = [1, 2, 3, 4].map((k) => T(uniform(6, 82 + k), [6]));
      const sx = [1, 2, 3, 4].map((k) => T(uniform(6, 90 + k), [6]));
      const [, zs] = jet((a: Tensor, b: Tensor) => atan2(a, b), [y0, xa], [sy, sx]);
      const want = await nestedJvpCoefficients((a: Tensor, b: Tensor) => atan2(a, b), [y0, xa], [sy, sx], 4);
      for (let k = 0; k < 4; k++) expectClose(await zs[k]!.data(), want[k]!, 1e-10, 1e-10, `Z${k + 1}`);
    });

    for (const [name, fn] of Object.entries(ONE)) {
      it(`${name}: collapsed Taylor mode (K = 4, 3 directions) equals the summed jetDirections`, async () => {
        const R = 3,
          K = 4;
        const x = T(uniform(4, 100, -0.8, 0.8), [4]);
        const dirs = [1, 2, 3, 4].map((k) => T(uniform(R * 4, 110 + k), [R, 4]));
        const [, full] = jetDirections(fn, [x], [dirs]);
        const [, col] = collapsedJet(fn, [x], [dirs.slice(0, K - 1)], [dirs[K - 1]!.sum(0)], { order: K });
        for (let k = 0; k < K - 1; k++) expectClose(await col.lower[k]!.data(), await full[k]!.data(), 1e-12, 1e-12, `${name} lower ${k + 1}`);
        expectClose(await col.top.data(), await full[K - 1]!.sum(0).data(), 1e-12, 1e-12, `${name} top`);
      });
    }
  },
  { float32: false },
);
