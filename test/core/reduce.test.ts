// Reductions: sum/mean/max/min/logsumexp over single, multiple, negative and all axes, with and
// without keepdims, in function and method form; reductions fused with elementwise prologues and
// epilogues, and empty axes.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

type Axis = number | number[] | undefined;
const AXES: Axis[] = [undefined, 0, 1, 2, -1, -3, [0, 2], [2, 0], [-1, 1], [0, 1, 2]];

function refLse(x: R.Nd, axis: Axis, keepdims: boolean): R.Nd {
  const m = R.rmax(x, axis, true);
  const s = R.rsum(
    R.map(
      R.zip(x, m, (a, b) => a - b),
      Math.exp,
    ),
    axis,
    true,
  );
  const out = R.zip(R.map(s, Math.log), m, (a, b) => a + b);
  return keepdims ? out : R.nd(R.rsum(x, axis, false).shape, out.data);
}

const OPS: [string, (t: Tensor, a: Axis, k: boolean) => Tensor, (t: Tensor, a: Axis, k: boolean) => Tensor, (x: R.Nd, a: Axis, k: boolean) => R.Nd][] = [
  ['sum', (t, a, k) => W.sum(t, a, k), (t, a, k) => t.sum(a, k), R.rsum],
  ['mean', (t, a, k) => W.mean(t, a, k), (t, a, k) => t.mean(a, k), R.rmean],
  ['max', (t, a, k) => W.max(t, a, k), (t, a, k) => t.max(a, k), R.rmax],
  ['min', (t, a, k) => W.min(t, a, k), (t, a, k) => t.min(a, k), R.rmin],
  ['logsumexp', (t, a, k) => W.logsumexp(t, a, k), (t, a, k) => t.logsumexp(a, k), refLse],
];

describeBackends('reductions', (c) => {
  const rng = new R.Lcg(505);

  for (const [name, fn, method, ref] of OPS) {
    it(`${name} over every axis choice, keepdims or not, function and method forms`, async () => {
      const [x, xr] = R.input(rng, [3, 4, 5], c);
      const ax = R.map(xr, Math.abs);
      for (const axis of AXES) {
        for (const keep of [false, true]) {
          const want = ref(xr, axis, keep);
          // rounding in a sum scales with Σ|x|; max/min are exact
          const scale = name === 'sum' || name === 'mean' ? ref(ax, axis, keep) : undefined;
          await R.expectClose(fn(x, axis, keep), want, c, scale);
          await R.expectClose(method(x, axis, keep), want, c, scale);
        }
      }
    });
  }

  it('sum() of everything is 0-d; keepdims keeps rank with size-1 axes', async () => {
    const [x, xr] = R.input(rng, [2, 3], c);
    expect(x.sum().shape).toEqual([]);
    expect(x.sum(null, true).shape).toEqual([1, 1]);
    expect(x.mean(-1, true).shape).toEqual([2, 1]);
    await R.expectClose(x.sum(), R.rsum(xr), c, R.rsum(R.map(xr, Math.abs)));
    expect(await x.sum().item()).toBe((await x.sum().data())[0]);
    expect(typeof (await x.sum().array())).toBe('number');
  });

  it('reducing axes of size 1 drops them (a reshape, fused with its consumer), mixed with longer axes too', async () => {
    const [x, xr] = R.input(rng, [1, 4, 1, 3], c);
    for (const [name, fn, , ref] of OPS) {
      for (const axis of [0, 2, [0, 2], [0, 1], [2, 3], [0, 1, 2, 3]] as Axis[]) {
        for (const keep of [false, true]) {
          const scale = name === 'sum' || name === 'mean' ? ref(R.map(xr, Math.abs), axis, keep) : undefined;
          await R.expectClose(fn(x, axis, keep), ref(xr, axis, keep), c, scale);
        }
      }
    }
    // only size-1 axes: no reduction is left, the sum is a reshape of its input
    expect(x.sum([0, 2]).node.op).toBe('reshape');
    expect(x.max(0).node.op).toBe('reshape');
    // size-1 and longer axes: one reduction, over the longer axes only
    const s = x.sum([0, 3]);
    expect(s.node.op).toBe('sum');
    expect(s.node.inputs[0]!.shape).toEqual([4, 1, 3]);
    expect(s.shape).toEqual([4, 1]);
  });

  it('reducing a 0-d tensor, or over no axes, returns the value', async () => {
    const s = W.tensor(2.5, { dtype: c.dtype });
    await R.expectExact(s.sum(), R.nd([], [2.5]));
    await R.expectExact(s.max(), R.nd([], [2.5]));
    const [x, xr] = R.input(rng, [2, 2], c);
    await R.expectExact(x.sum([]), xr);
  });

  it('empty axes: sum gives 0', async () => {
    const z = W.zeros([0, 3], { dtype: c.dtype });
    await R.expectExact(z.sum(0), R.nd([3], [0, 0, 0]));
    await R.expectExact(z.sum(1), R.nd([0], []));
  });

  it('logsumexp is stable for large inputs', async () => {
    const x = W.tensor(
      [
        [1000, 1000],
        [-1000, -1001],
      ],
      { dtype: c.dtype },
    );
    const want = R.nd([2], [1000 + Math.log(2), -1000 + Math.log1p(Math.exp(-1))]);
    await R.expectClose(x.logsumexp(1), want, c);
  });

  it('reductions fused with an elementwise prologue and epilogue', async () => {
    const [x, xr] = R.input(rng, [4, 6], c);
    const [y, yr] = R.input(rng, [4, 1], c);
    const [z, zr] = R.input(rng, [4], c);
    const got = x.mul(y).tanh().sum(1).mul(2).add(z).exp();
    const inner = R.map(
      R.zip(xr, yr, (a, b) => a * b),
      Math.tanh,
    );
    const want = R.map(
      R.zip(
        R.map(R.rsum(inner, 1), (s) => 2 * s),
        zr,
        (a, b) => a + b,
      ),
      Math.exp,
    );
    await R.expectClose(
      got,
      want,
      c,
      R.map(
        R.zip(
          R.map(R.rsum(R.map(inner, Math.abs), 1), (s) => 2 * s),
          zr,
          (a, b) => a + b,
        ),
        Math.exp,
      ),
    );
  });

  it('two reductions in one expression, and a reduction of a reduction', async () => {
    const [x, xr] = R.input(rng, [3, 5], c);
    const [y, yr] = R.input(rng, [3, 7], c);
    const ax = R.map(xr, Math.abs),
      ay = R.map(yr, Math.abs);
    const want = R.zip(R.rsum(xr, 1), R.rmax(yr, 1), (a, b) => a * b);
    await R.expectClose(
      x.sum(1).mul(y.max(1)),
      want,
      c,
      R.zip(R.rsum(ax, 1), R.rmax(ay, 1), (a, b) => a * b),
    );
    const [u, ur] = R.input(rng, [2, 3, 4], c);
    await R.expectClose(u.sum(2).max(1), R.rmax(R.rsum(ur, 2), 1), c, R.rmax(R.rsum(R.map(ur, Math.abs), 2), 1));
  });

  it('a reduction read back and reused by later ops', async () => {
    const [x, xr] = R.input(rng, [3, 4], c);
    const s = x.sum(0);
    const want = R.rsum(xr, 0);
    const scale = R.rsum(R.map(xr, Math.abs), 0);
    await R.expectClose(s, want, c, scale);
    await R.expectClose(s.exp(), R.map(want, Math.exp), c, R.map(scale, Math.exp));
    await R.expectClose(
      x.sub(s),
      R.zip(xr, want, (a, b) => a - b),
      c,
      R.zip(R.map(xr, Math.abs), scale, (a, b) => a + b),
    );
  });

  it('a sum of many terms (rounding stays within the Σ|x| bound)', async () => {
    const [x, xr] = R.input(rng, [10000], c);
    await R.expectClose(x.sum(), R.rsum(xr), c, R.rsum(R.map(xr, Math.abs)));
    await R.expectClose(x.mean(), R.rmean(xr), c, R.rmean(R.map(xr, Math.abs)));
  });
});
