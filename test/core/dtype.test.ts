// dtypes: astype between float32 and float64 (on backends with float64), rounding at the cast,
// and reductions / matmuls accumulating in their own dtype when a cast follows them.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

describeBackends('astype within one dtype', (c) => {
  it('astype to the same dtype returns the tensor itself', () => {
    const x = W.ones([2], { dtype: c.dtype });
    expect(x.astype(c.dtype)).toBe(x);
    expect(W.astype(x, c.dtype)).toBe(x);
  });
});

describeBackends(
  'float32 <-> float64',
  () => {
    const rng = new R.Lcg(909);

    it('float64 -> float32 rounds to nearest; float32 -> float64 is exact', async () => {
      const v = [0.1, 1 / 3, -2.5, 1e-45, 3.4e38, 1e39, NaN, -Infinity];
      const x = W.tensor(v, { dtype: 'float64' });
      const y = x.astype('float32');
      expect(y.dtype).toBe('float32');
      expect(Array.from(await y.data())).toEqual(v.map(Math.fround));
      const back = W.astype(y, 'float64');
      expect(back.dtype).toBe('float64');
      const d = await back.data();
      expect(d).toBeInstanceOf(Float64Array);
      expect(Array.from(d)).toEqual(v.map(Math.fround));
    });

    it('a cast inside a fused chain: float64 math, then float32 math', async () => {
      const a = rng.array([3, 4], 'float64', -1, 1);
      const b = rng.array([3, 4], 'float32', -1, 1);
      const got = R.toTensor(a, 'float64').exp().astype('float32').mul(R.toTensor(b, 'float32')).tanh();
      const want = R.map(
        R.zip(
          R.map(a, (v) => Math.fround(Math.exp(v))),
          b,
          (p, q) => Math.fround(p * q),
        ),
        (v) => Math.fround(Math.tanh(v)),
      );
      // every step rounds exactly as float32 hardware: the results agree bit for bit
      await R.expectExact(got, want);
    });

    it('a float64 sum cast to float32 accumulates in float64', async () => {
      const v = [1, ...new Array(20000).fill(1e-8)];
      const got = W.tensor(v, { dtype: 'float64' }).sum().astype('float32');
      const exact = v.reduce((s, x) => s + x, 0);
      expect(Array.from(await got.data())).toEqual([Math.fround(exact)]);
      const m = W.tensor(v, { dtype: 'float64' }).max().astype('float32');
      expect(Array.from(await m.data())).toEqual([1]);
    });

    it('a float64 matmul cast to float32 accumulates in float64', async () => {
      const row = [1, ...new Array(4999).fill(1e-8)];
      const a = W.tensor([row], { dtype: 'float64' });
      const b = W.ones([5000, 1], { dtype: 'float64' });
      const got = a.matmul(b).astype('float32').mul(2);
      const exact = row.reduce((s, x) => s + x, 0);
      expect(Array.from(await got.data())).toEqual([Math.fround(Math.fround(exact) * 2)]);
    });

    it('a float32 sum cast to float64 rounds its partial sums as float32', async () => {
      const v = [1, ...new Array(1000).fill(Math.fround(1e-8))];
      // in float32, 1 + 1e-8 rounds back to 1 at every step
      const got = W.tensor(v, { dtype: 'float32' }).sum().astype('float64');
      expect(Array.from(await got.data())).toEqual([1]);
    });
  },
  { float32: false },
);
