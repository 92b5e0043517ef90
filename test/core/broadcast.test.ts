// NumPy broadcasting: scalars, numbers on either side, [3,1]x[1,4], trailing-axis and
// rank-extending cases, broadcasting inside chains, and broadcastTo.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

const add = (a: number, b: number): number => a + b;
const mul = (a: number, b: number): number => a * b;

describeBackends('broadcasting', (c) => {
  const rng = new R.Lcg(202);

  const PAIRS: [number[], number[]][] = [
    [[], [2, 3]],
    [[2, 3], []],
    [
      [3, 1],
      [1, 4],
    ],
    [[2, 3, 4], [4]],
    [[4], [2, 3, 4]],
    [
      [5, 1, 3],
      [4, 1],
    ],
    [[1], [3, 2]],
    [
      [2, 1, 1],
      [1, 3, 1],
    ],
    [
      [3, 1, 2],
      [3, 4, 1],
    ],
    [
      [0, 3],
      [1, 3],
    ],
  ];

  for (const [sa, sb] of PAIRS) {
    it(`[${sa}] with [${sb}] (add, mul, sub both ways)`, async () => {
      const [a, ar] = R.input(rng, sa, c);
      const [b, br] = R.input(rng, sb, c);
      const want = R.zip(ar, br, add);
      expect(a.add(b).shape).toEqual(want.shape);
      await R.expectClose(a.add(b), want, c);
      await R.expectClose(W.mul(b, a), R.zip(br, ar, mul), c);
      await R.expectClose(
        a.sub(b),
        R.zip(ar, br, (x, y) => x - y),
        c,
      );
      await R.expectClose(
        b.sub(a),
        R.zip(br, ar, (x, y) => x - y),
        c,
      );
    });
  }

  it('a JS number on either side of every binary op', async () => {
    const [x, xr] = R.input(rng, [2, 3], c, 0.5, 2);
    await R.expectClose(W.add(2, x), R.zip(2, xr, add), c);
    await R.expectClose(
      W.sub(2, x),
      R.zip(2, xr, (a, b) => a - b),
      c,
    );
    await R.expectClose(
      W.div(1, x),
      R.zip(1, xr, (a, b) => a / b),
      c,
    );
    await R.expectClose(
      x.div(4),
      R.zip(xr, 4, (a, b) => a / b),
      c,
    );
    await R.expectClose(W.maximum(1, x), R.zip(1, xr, Math.max), c);
    await R.expectClose(W.minimum(x, 1), R.zip(xr, 1, Math.min), c);
    await R.expectClose(x.mul(0.5).add(x), R.zip(R.zip(xr, 0.5, mul), xr, add), c);
  });

  it('0-d tensors broadcast like numbers', async () => {
    const s = W.tensor(3, { dtype: c.dtype });
    expect(s.shape).toEqual([]);
    const [x, xr] = R.input(rng, [4, 2], c);
    await R.expectClose(x.mul(s), R.zip(xr, 3, mul), c);
    await R.expectClose(
      s.sub(x),
      R.zip(3, xr, (a, b) => a - b),
      c,
    );
    await R.expectClose(s.add(s), R.nd([], [6]), c);
  });

  it('broadcasting inside a chain: outer sum and scale', async () => {
    const [col, colr] = R.input(rng, [4, 1], c);
    const [row, rowr] = R.input(rng, [3], c);
    const [z, zr] = R.input(rng, [2, 4, 3], c);
    const got = col.add(row).mul(z).sub(row).tanh();
    const want = R.map(
      R.zip(R.zip(R.zip(colr, rowr, add), zr, mul), rowr, (a, b) => a - b),
      Math.tanh,
    );
    await R.expectClose(got, want, c);
  });

  it('broadcastTo: prepends axes and stretches size-1 axes', async () => {
    const [x, xr] = R.input(rng, [3, 1], c);
    await R.expectExact(x.broadcastTo([2, 3, 4]), R.broadcastTo(xr, [2, 3, 4]));
    await R.expectExact(W.broadcastTo(x, [3, 1]), xr);
    const s = W.tensor(1.5, { dtype: c.dtype });
    await R.expectExact(s.broadcastTo([2, 2]), R.nd([2, 2], [1.5, 1.5, 1.5, 1.5]));
  });

  it('the result of a broadcast op can be read twice and reused', async () => {
    const [a, ar] = R.input(rng, [3, 1], c);
    const [b, br] = R.input(rng, [1, 3], c);
    const s = a.add(b);
    const want = R.zip(ar, br, add);
    await R.expectClose(s, want, c);
    await R.expectClose(s.mul(s), R.zip(want, want, mul), c);
  });
});
