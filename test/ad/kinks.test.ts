// Derivative conventions at kinks and for piecewise ops, as documented in src/rules/derivs.ts:
// abs'(0) = 0, relu'(0) = 0, maximum / minimum ties split ½ / ½, max-reduction ties split
// equally, `where` routes cotangents to the chosen branch, sign and comparisons have zero
// derivative. Expected values are the conventions themselves.

import { expect, it } from 'vitest';
import { type Tensor, grad, jvp, max, maximum, minimum, tensor, vjp, where } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, host } from '../helpers/finiteDiff.js';

describeBackends('derivatives at kinks', (c) => {
  const T = (v: number[] | number, shape?: number[]) => tensor(v as number[], { dtype: c.dtype, ...(shape ? { shape } : {}) });
  const close = async (t: Tensor, expected: number[], what: string) => expectClose(await host(t), expected, c.rtol, c.atol, what);

  it("abs'(0) = 0 (the sign), sign' = 0", async () => {
    await close(grad((x: Tensor) => x.abs().sum())(T([-2, 0, 3])), [-1, 0, 1], 'grad abs');
    await close(jvp((x: Tensor) => x.abs(), [T([-2, 0, 3])], [T([5, 5, 5])])[1], [-5, 0, 5], 'jvp abs');
    await close(grad((x: Tensor) => x.sign().sum())(T([-2, 0, 3])), [0, 0, 0], 'grad sign');
  });

  it("relu'(0) = 0", async () => {
    await close(grad((x: Tensor) => x.relu().sum())(T([-1, 0, 2])), [0, 0, 1], 'grad relu');
    await close(jvp((x: Tensor) => x.relu(), [T([-1, 0, 2])], [T([3, 3, 3])])[1], [0, 0, 3], 'jvp relu');
  });

  it('maximum and minimum split ties ½ / ½', async () => {
    const a = T([1, 2, 3]),
      b = T([2, 2, 1]);
    const [ga, gb] = grad((x: Tensor, y: Tensor) => maximum(x, y).sum(), { argnums: [0, 1] })(a, b);
    await close(ga, [0, 0.5, 1], 'maximum d/da');
    await close(gb, [1, 0.5, 0], 'maximum d/db');
    await close(jvp((x: Tensor, y: Tensor) => maximum(x, y), [a, b], [T([10, 10, 10]), T([20, 20, 20])])[1], [20, 15, 10], 'maximum jvp');
    const [ma, mb] = grad((x: Tensor, y: Tensor) => minimum(x, y).sum(), { argnums: [0, 1] })(a, b);
    await close(ma, [1, 0.5, 0], 'minimum d/da');
    await close(mb, [0, 0.5, 1], 'minimum d/db');
    await close(grad((x: Tensor) => x.maximum(0).sum())(T([-1, 0, 1])), [0, 0.5, 1], 'maximum(x, 0) at 0');
  });

  it('the max reduction splits the derivative equally among tied maxima', async () => {
    const x = T([1, 3, 3, 2, 5, 5, 5, 0], [2, 4]);
    await close(grad((v: Tensor) => max(v, 1).sum())(x), [0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3, 0], 'grad max axis 1');
    await close(jvp((v: Tensor) => max(v, 1), [x], [T([1, 2, 4, 8, 1, 2, 6, 8], [2, 4])])[1], [3, 3], 'jvp max axis 1');
    await close(grad((v: Tensor) => v.max())(T([4, 1, 4])), [0.5, 0, 0.5], 'grad max all');
    await close(grad((v: Tensor) => v.min())(T([4, 1, 1])), [0, 0.5, 0.5], 'grad min all');
  });

  it('where passes cotangents to the chosen branch and none to the condition', async () => {
    const cnd = T([1, 0, 1]),
      a = T([1, 2, 3]),
      b = T([4, 5, 6]);
    const [out, pullback] = vjp((k: Tensor, x: Tensor, y: Tensor) => where(k, x.mul(x), y.mul(3)), cnd, a, b);
    await close(out, [1, 15, 9], 'value');
    const [gk, gx, gy] = pullback(T([1, 1, 1]));
    await close(gk, [0, 0, 0], 'condition');
    await close(gx, [2, 0, 6], 'chosen a');
    await close(gy, [0, 3, 0], 'chosen b');
    await close(jvp((x: Tensor) => where(x.greater(2), x.square(), x.neg()), [T([1, 3])], [T([1, 1])])[1], [-1, 6], 'jvp');
  });

  it('comparisons are piecewise constant', async () => {
    const g = grad((x: Tensor) => x.greater(1).mul(x).sum())(T([0, 1, 2]));
    await close(g, [0, 0, 1], 'step times x');
    expect(await host(jvp((x: Tensor) => x.less(1), [T([0, 2])], [T([1, 1])])[1])).toEqual([0, 0]);
  });
});
