// matmul: 2-D (odd sizes, k = 1, empty), batched, broadcast batch dims, 1-D operands on either or
// both sides, fused epilogues (bias, activation), function and method forms.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

const SHAPES: [number[], number[]][] = [
  [
    [3, 4],
    [4, 5],
  ],
  [
    [1, 1],
    [1, 1],
  ],
  [
    [7, 1],
    [1, 9],
  ],
  [
    [5, 13],
    [13, 6],
  ],
  [
    [2, 3, 4],
    [2, 4, 5],
  ],
  [
    [2, 3, 4],
    [4, 5],
  ],
  [
    [4, 5],
    [3, 5, 2],
  ],
  [
    [2, 1, 3, 4],
    [5, 4, 2],
  ],
  [
    [1, 2, 3],
    [4, 1, 3, 2],
  ],
  [[4], [4, 3]],
  [[3, 4], [4]],
  [[4], [4]],
  [[2, 3, 4], [4]],
  [[4], [2, 4, 3]],
  [
    [0, 3],
    [3, 2],
  ],
  [
    [2, 0],
    [0, 3],
  ],
];

describeBackends('matmul', (c) => {
  const rng = new R.Lcg(606);

  for (const [sa, sb] of SHAPES) {
    it(`[${sa}] @ [${sb}]`, async () => {
      const [a, ar] = R.input(rng, sa, c);
      const [b, br] = R.input(rng, sb, c);
      const want = R.matmul(ar, br);
      const scale = R.matmulScale(ar, br);
      expect(a.matmul(b).shape).toEqual(want.shape);
      await R.expectClose(a.matmul(b), want, c, scale);
      await R.expectClose(W.matmul(a, b), want, c, scale);
    });
  }

  it('a larger product with an uneven tail (k = 67)', async () => {
    const [a, ar] = R.input(rng, [9, 67], c);
    const [b, br] = R.input(rng, [67, 11], c);
    await R.expectClose(a.matmul(b), R.matmul(ar, br), c, R.matmulScale(ar, br));
  });

  it('x @ W + b, then tanh (fused epilogue) and a second layer', async () => {
    const [x, xr] = R.input(rng, [5, 3], c);
    const [w1, w1r] = R.input(rng, [3, 8], c);
    const [b1, b1r] = R.input(rng, [8], c);
    const [w2, w2r] = R.input(rng, [8, 2], c);
    const h = x.matmul(w1).add(b1).tanh();
    const hr = R.map(
      R.zip(R.matmul(xr, w1r), b1r, (p, q) => p + q),
      Math.tanh,
    );
    await R.expectClose(
      h,
      hr,
      c,
      R.map(
        R.zip(R.matmulScale(xr, w1r), b1r, (p, q) => p + Math.abs(q)),
        Math.tanh,
      ),
    );
    await R.expectClose(h.matmul(w2), R.matmul(hr, w2r), c, R.matmulScale(hr, w2r));
  });

  it('a matmul used twice (by an epilogue and by another op)', async () => {
    const [a, ar] = R.input(rng, [3, 3], c);
    const p = a.matmul(a);
    const pr = R.matmul(ar, ar);
    const s = R.matmulScale(ar, ar);
    const got = p.mul(2).add(p.transpose());
    await R.expectClose(
      got,
      R.zip(
        R.map(pr, (v) => 2 * v),
        R.transpose(pr),
        (u, v) => u + v,
      ),
      c,
      R.zip(
        R.map(s, (v) => 2 * v),
        R.transpose(s),
        (u, v) => u + v,
      ),
    );
  });

  it('identity and zero matrices give exact results', async () => {
    const eye = W.tensor(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      { dtype: c.dtype },
    );
    const [x, xr] = R.input(rng, [3, 3], c);
    await R.expectExact(eye.matmul(x), xr);
    await R.expectExact(x.matmul(eye), xr);
    await R.expectExact(x.matmul(W.zeros([3, 2], { dtype: c.dtype })), R.nd([3, 2], [0, 0, 0, 0, 0, 0]));
  });
});
