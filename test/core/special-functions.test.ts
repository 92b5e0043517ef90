// erf, log1p, expm1, atan2 and gelu in function and method form against the float64 reference
// (test/core/ref.ts: its own erf; Math.log1p / expm1 / atan2), on random inputs and on the
// values where naive formulas fail (tiny arguments, large ones, every quadrant of atan2).

import { it } from 'vitest';
import * as W from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

const gelu = (x: number): number => 0.5 * x * (1 + R.erf(x / Math.SQRT2));

/** op, reference, input range */
const UNARY: ['erf' | 'log1p' | 'expm1' | 'gelu', (x: number) => number, number, number][] = [
  ['erf', R.erf, -4, 4],
  ['log1p', Math.log1p, -0.9, 6],
  ['expm1', Math.expm1, -4, 4],
  ['gelu', gelu, -5, 5],
];

describeBackends('special functions', (c) => {
  const rng = new R.Lcg(707);

  for (const [name, ref, lo, hi] of UNARY) {
    it(`${name}: function and method forms match the reference`, async () => {
      const [x, xr] = R.input(rng, [4, 6], c, lo, hi);
      const want = R.map(xr, ref);
      await R.expectClose((W[name] as (t: Tensor) => Tensor)(x), want, c);
      await R.expectClose((x[name] as () => Tensor).call(x), want, c);
    });

    it(`${name}: tiny and large arguments keep their relative accuracy`, async () => {
      // gelu for x < -3 loses relative accuracy in float32 (1 + erf(x/√2) cancels), as any erf-based gelu
      const v = [0, 1e-7, -1e-7, 3e-5, -2e-4, 0.01, -0.3, 0.49, 0.51, 0.99, 1.01, 2.49, 2.51, 3.5, name === 'gelu' ? -2.9 : -5.5, 7];
      const x = W.tensor(v, { dtype: c.dtype });
      const xr = c.dtype === 'float32' ? R.nd([v.length], Float32Array.from(v)) : R.nd([v.length], v);
      await R.expectClose((x[name] as () => Tensor).call(x), R.map(xr, ref), { rtol: c.rtol, atol: c.dtype === 'float64' ? 0 : 1e-12 });
    });
  }

  it('erf is odd and saturates at ±1; log1p(-1) is -Infinity', async () => {
    const x = W.tensor([-30, -6, 6, 30], { dtype: c.dtype });
    await R.expectExact(x.erf(), R.nd([4], [-1, -1, 1, 1]));
    await R.expectExact(W.log1p(W.tensor([-1], { dtype: c.dtype })), R.nd([1], [-Infinity]));
  });

  it('atan2(y, x): function and method forms, broadcasting, JS numbers, every quadrant', async () => {
    const [y, yr] = R.input(rng, [3, 4], c);
    const [x, xr] = R.input(rng, [4], c);
    const want = R.zip(yr, xr, Math.atan2);
    await R.expectClose(W.atan2(y, x), want, c);
    await R.expectClose(y.atan2(x), want, c);
    await R.expectClose(W.atan2(y, 0.5), R.zip(yr, 0.5, Math.atan2), c);
    await R.expectClose(W.atan2(-1.5, x), R.zip(-1.5, xr, Math.atan2), c);
    const qy = [1, 1, -1, -1, 0, 1, -1, 1e-6],
      qx = [1, -1, -1, 1, -1, 0, 0, -1];
    const got = W.atan2(W.tensor(qy, { dtype: c.dtype }), W.tensor(qx, { dtype: c.dtype }));
    await R.expectClose(got, R.zip(R.nd([8], qy), R.nd([8], qx), Math.atan2), c);
  });
});
