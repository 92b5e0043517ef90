// Gradients through stacks and concatenations of scalars, against closed forms: their transposes
// read single elements out of masked views (the pieces of a stack), which the scheduler turns
// into scalar reads that must mask themselves out, and kernels whose only read of a slot folds to
// 0 there must not bind that slot (fuzz seed 5, graph #39: the slot's producer had been dropped
// as unread, and the CPU backend crashed; before the masked-scalar fix the gradient was 2x).

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

describeBackends('gradients through pieces of scalars', (c) => {
  const T = (a: number[], shape: number[]) => W.tensor(a, { shape, dtype: c.dtype });
  const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(c.rtol * Math.abs(want) + c.atol);

  it('d/dx0 of sum(W * stack([x0, x0])^2 * x1) = 2 x0 sum(W * x1), and d/dx1 = W x0^2', async () => {
    const x0v = -0.75;
    const x1v = [1.25, -0.5, 0.25, 2];
    const wv = [-0.5, 0.75, 1.5, -1];
    const f = (x0: W.Tensor, x1: W.Tensor) => W.mul(W.stack([x0, x0], 0).pow(2), x1);
    const [g0, g1] = W.grad(
      (a: W.Tensor, b: W.Tensor) =>
        f(a, b)
          .mul(T(wv, [2, 2]))
          .sum(),
      { argnums: [0, 1] },
    )(T([x0v], []), T(x1v, [2, 2])) as W.Tensor[];
    const dot = x1v.reduce((s, v, i) => s + v * wv[i]!, 0);
    close((await g0!.data())[0]!, 2 * x0v * dot);
    const d1 = Array.from(await g1!.data());
    d1.forEach((v, i) => close(v, wv[i]! * x0v * x0v));
  });

  it('d/dx of sum(w * concat([x, 2x, x^2])) for a scalar x = w0 + 2 w1 + 2 w2 x', async () => {
    const w = [0.5, -1.25, 3];
    const xv = 1.5;
    const g = W.grad((x: W.Tensor) =>
      W.concat([x.reshape([1]), x.mul(2).reshape([1]), x.square().reshape([1])])
        .mul(T(w, [3]))
        .sum(),
    )(T([xv], []));
    close((await (g as W.Tensor).data())[0]!, w[0]! + 2 * w[1]! + 2 * w[2]! * xv);
  });
});
