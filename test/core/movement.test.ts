// Movement ops one at a time: reshape (incl. -1), transpose/permute, squeeze/expandDims, slice
// (steps, negative and out-of-range indices), pad, concat, stack; function and method forms.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

describeBackends('movement ops', (c) => {
  const rng = new R.Lcg(303);

  it('reshape, with one inferred -1, function and method forms', async () => {
    const [x, xr] = R.input(rng, [2, 3, 4], c);
    await R.expectExact(x.reshape([6, 4]), R.reshape(xr, [6, 4]));
    await R.expectExact(W.reshape(x, [4, -1]), R.reshape(xr, [4, 6]));
    await R.expectExact(x.reshape([-1]), R.reshape(xr, [24]));
    await R.expectExact(x.reshape([2, 1, 12, 1]), R.reshape(xr, [2, 1, 12, 1]));
    expect(x.reshape([-1, 2, 3]).shape).toEqual([4, 2, 3]);
    const s = W.tensor([5], { dtype: c.dtype });
    await R.expectExact(s.reshape([]), R.nd([], [5]));
    await R.expectExact(W.zeros([0, 3], { dtype: c.dtype }).reshape([3, 0]), R.nd([3, 0], []));
  });

  it('transpose reverses axes; permute and transpose(perm) reorder them', async () => {
    const [x, xr] = R.input(rng, [2, 3, 4], c);
    await R.expectExact(x.transpose(), R.transpose(xr));
    await R.expectExact(W.transpose(x), R.transpose(xr));
    await R.expectExact(x.transpose([1, 0, 2]), R.transpose(xr, [1, 0, 2]));
    await R.expectExact(x.permute([2, 0, 1]), R.transpose(xr, [2, 0, 1]));
    await R.expectExact(W.permute(x, [0, -1, 1]), R.transpose(xr, [0, 2, 1]));
    const [v, vr] = R.input(rng, [5], c);
    await R.expectExact(v.transpose(), vr);
  });

  it('expandDims and squeeze (all size-1 axes, or listed ones, negative too)', async () => {
    const [x, xr] = R.input(rng, [3, 4], c);
    expect(x.expandDims(0).shape).toEqual([1, 3, 4]);
    expect(W.expandDims(x, -1).shape).toEqual([3, 4, 1]);
    expect(x.expandDims(1).shape).toEqual([3, 1, 4]);
    await R.expectExact(x.expandDims(1), R.reshape(xr, [3, 1, 4]));
    const y = x.reshape([1, 3, 1, 4, 1]);
    expect(y.squeeze().shape).toEqual([3, 4]);
    expect(W.squeeze(y, 2).shape).toEqual([1, 3, 4, 1]);
    expect(y.squeeze([0, -1]).shape).toEqual([3, 1, 4]);
    await R.expectExact(y.squeeze(), xr);
  });

  it('slice with defaults, negative indices, steps and clamping', async () => {
    const [x, xr] = R.input(rng, [5, 6], c);
    const cases: [number[], (number | null)[] | undefined, number[] | undefined][] = [
      [[1], undefined, undefined],
      [[1, 2], [4, 5], undefined],
      [[-3, -4], [null, -1], undefined],
      [
        [0, 1],
        [5, 6],
        [2, 3],
      ],
      [
        [4, 0],
        [null, null],
        [1, 4],
      ],
      [[-100, 2], [100, 3], undefined],
      [[3, 0], [1, 6], undefined], // empty: end before start
      [
        [0, -1],
        [5, null],
        [3, 1],
      ],
    ];
    for (const [s, e, st] of cases) {
      await R.expectExact(x.slice(s, e, st), R.slice(xr, s, e ?? [], st ?? []));
      await R.expectExact(W.slice(x, s, e, st), R.slice(xr, s, e ?? [], st ?? []));
    }
    expect(x.slice([3, 0], [1, 6]).shape).toEqual([0, 6]);
  });

  it('pad with zeros before and after each axis', async () => {
    const [x, xr] = R.input(rng, [2, 3], c);
    await R.expectExact(
      x.pad([
        [1, 0],
        [2, 3],
      ]),
      R.pad(xr, [
        [1, 0],
        [2, 3],
      ]),
    );
    await R.expectExact(
      W.pad(x, [
        [0, 0],
        [0, 1],
      ]),
      R.pad(xr, [
        [0, 0],
        [0, 1],
      ]),
    );
    await R.expectExact(
      x.pad([
        [0, 0],
        [0, 0],
      ]),
      xr,
    );
  });

  it('concat along any axis (negative too), of 1..3 tensors', async () => {
    const [a, ar] = R.input(rng, [2, 3], c);
    const [b, br] = R.input(rng, [2, 1], c);
    const [d, dr] = R.input(rng, [2, 2], c);
    const [e, er] = R.input(rng, [4, 3], c);
    await R.expectExact(W.concat([a, b, d], 1), R.concat([ar, br, dr], 1));
    await R.expectExact(W.concat([a, b], -1), R.concat([ar, br], 1));
    await R.expectExact(W.concat([a, e]), R.concat([ar, er], 0));
    await R.expectExact(W.concat([a]), ar);
    await R.expectExact(W.concat([a, a], 0), R.concat([ar, ar], 0));
  });

  it('stack along a new axis (first, middle, last, negative)', async () => {
    const parts = [0, 1, 2].map(() => R.input(rng, [2, 3], c));
    const ts = parts.map((p) => p[0]),
      rs = parts.map((p) => p[1]);
    await R.expectExact(W.stack(ts), R.stack(rs, 0));
    await R.expectExact(W.stack(ts, 1), R.stack(rs, 1));
    await R.expectExact(W.stack(ts, 2), R.stack(rs, 2));
    await R.expectExact(W.stack(ts, -1), R.stack(rs, 2));
    expect(W.stack(ts, -1).shape).toEqual([2, 3, 3]);
  });

  it('movement results read back alone (copies) and feed elementwise ops (views)', async () => {
    const [x, xr] = R.input(rng, [3, 4], c);
    const t = x.transpose().slice([1], [3]);
    const tr = R.slice(R.transpose(xr), [1], [3]);
    await R.expectExact(t, tr);
    await R.expectClose(
      t.mul(2).add(1),
      R.map(tr, (v) => 2 * v + 1),
      c,
    );
  });
});
