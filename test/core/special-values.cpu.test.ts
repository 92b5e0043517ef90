// IEEE special values (NaN, ±Infinity, empty means) on the CPU backend in both dtypes. WGSL does
// not promise NaN/Infinity semantics, so these are CPU facts, not cross-backend behaviour.

import { beforeAll, describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { CPU32, CPU64 } from '../helpers/backends.js';
import * as R from './ref.js';

for (const c of [CPU64, CPU32]) {
  describe(`special values [${c.name}]`, () => {
    beforeAll(async () => {
      await W.init({ backend: 'cpu' });
    });
    const t = (v: number[][] | number[]): W.Tensor => W.tensor(v, { dtype: c.dtype });

    it('unary ops at ±Infinity', async () => {
      const v = [Infinity, -Infinity];
      const x = t(v);
      const xr = R.nd([2], v);
      await R.expectExact(x.relu(), R.nd([2], [Infinity, 0]));
      await R.expectExact(x.abs(), R.nd([2], [Infinity, Infinity]));
      await R.expectExact(x.tanh(), R.nd([2], [1, -1]));
      await R.expectExact(x.sigmoid(), R.nd([2], [1, 0]));
      await R.expectExact(x.softplus(), R.nd([2], [Infinity, 0]));
      await R.expectExact(x.sign(), R.nd([2], [1, -1]));
      await R.expectExact(x.exp(), R.map(xr, Math.exp));
    });

    it('relu keeps NaN; sign and abs of NaN are NaN', async () => {
      const x = t([NaN]);
      for (const y of [x.relu(), x.sign(), x.abs(), x.exp()]) expect(Number.isNaN((await y.data())[0])).toBe(true);
    });

    it('log and sqrt of zero and negatives (-Infinity, NaN); pow of a negative base to a fraction', async () => {
      const x = t([0, -1, 4]);
      await R.expectClose(x.log(), R.nd([3], [-Infinity, NaN, Math.log(4)]), c);
      await R.expectClose(W.sqrt(x), R.nd([3], [0, NaN, 2]), c);
      await R.expectClose(t([-2, 4]).pow(0.5), R.nd([2], [NaN, 2]), c);
      await R.expectExact(t([0]).pow(-1), R.nd([1], [Infinity]));
    });

    it('maximum and minimum keep infinities', async () => {
      const a = t([1, -Infinity, 3, 2]);
      const b = t([1, 0, Infinity, -2]);
      await R.expectExact(a.maximum(b), R.nd([4], [1, 0, Infinity, 2]));
      await R.expectExact(a.minimum(b), R.nd([4], [1, -Infinity, 3, -2]));
    });

    it('comparisons with NaN are false except notEqual', async () => {
      const x = t([NaN, 1]);
      await R.expectExact(x.less(1), R.nd([2], [0, 0]));
      await R.expectExact(x.greaterEqual(1), R.nd([2], [0, 1]));
      await R.expectExact(x.equal(x), R.nd([2], [0, 1]));
      await R.expectExact(x.notEqual(x), R.nd([2], [1, 0]));
    });

    it('max and min propagate NaN and handle infinities', async () => {
      const x = t([
        [1, NaN, 3],
        [-Infinity, -Infinity, 2],
        [Infinity, 0, -1],
      ]);
      await R.expectExact(x.max(1), R.nd([3], [NaN, 2, Infinity]));
      await R.expectExact(x.min(1), R.nd([3], [NaN, -Infinity, -1]));
      await R.expectExact(x.max(0), R.nd([3], [Infinity, NaN, 3]));
    });

    it('mean over an empty axis is NaN', async () => {
      await R.expectClose(W.zeros([0, 3], { dtype: c.dtype }).mean(0), R.nd([3], [NaN, NaN, NaN]), c);
    });

    it('logsumexp of infinities: all -Infinity gives -Infinity, +Infinity gives +Infinity', async () => {
      const x = t([
        [-Infinity, -Infinity],
        [Infinity, 1],
        [-Infinity, 0],
      ]);
      await R.expectClose(x.logsumexp(1), R.nd([3], [-Infinity, Infinity, 0]), c);
      await R.expectClose(W.logsumexp(x, -1, true), R.nd([3, 1], [-Infinity, Infinity, 0]), c);
    });

    it('concat keeps infinities and NaN of its parts', async () => {
      const got = await W.concat([t([Infinity, NaN]), t([-Infinity, 2])]).data();
      expect(Array.from(got)).toEqual([Infinity, NaN, -Infinity, 2]);
    });
  });
}
