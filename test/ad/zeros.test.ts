// Known-zero tangents and cotangents are not materialized: counting the graph nodes a
// transformation builds (nodesCreated) shows nothing is built for them.

import { expect, it } from 'vitest';
import { type Tensor, grad, jvp, tensor, vjp } from '../../src/index.js';
import { nodesCreated } from '../../src/ir/node.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, host } from '../helpers/finiteDiff.js';

function count<T>(fn: () => T): [T, number] {
  const before = nodesCreated();
  const r = fn();
  return [r, nodesCreated() - before];
}

describeBackends('known zeros build no nodes', (c) => {
  const T = (v: number[]) => tensor(v, { dtype: c.dtype });
  const f = (x: Tensor, y: Tensor) => x.mul(y).add(y.sin());

  it('a null tangent adds no tangent nodes', async () => {
    const x = T([1, 2, 3]),
      y = T([0.5, -1, 2]),
      tx = T([1, 1, 1]),
      ty = T([1, 0, 2]);
    // trace: 2 fresh aliases + mul, sin, add = 5 nodes
    // tangents with ty = null: mul -> tx·y (1 node); add passes it through; sin gets no tangent
    const [[, t], n] = count(() => jvp(f, [x, y], [tx, null]));
    expect(n).toBe(5 + 1);
    await expect(host(t)).resolves.toEqual([0.5, -1, 2]);
    // with both tangents: mul -> tx·y + x·ty (3), sin -> cos(y)·ty (2), add (1)
    const [, nFull] = count(() => jvp(f, [x, y], [tx, ty]));
    expect(nFull).toBe(5 + 6);
  });

  it('a constant subexpression gets no tangent nodes', () => {
    const x = T([1, 2, 3]),
      k = T([0.1, 0.2, 0.3]);
    // trace: 1 alias + exp, sin, mul, sum = 5; tangents: mul (1), sum (1)
    const [, n] = count(() => jvp((v: Tensor) => v.mul(k.exp().sin()).sum(), [x], [x]));
    expect(n).toBe(5 + 2);
  });

  it('grad with argnums builds no cotangents for the other arguments', async () => {
    const x = T([1, 2, 3]),
      y = T([0.5, -1, 2]);
    const g = (a: Tensor, b: Tensor) => a.mul(b.exp()).sum().add(b.sin().sum());
    // trace: 1 alias (x only) + exp, mul, sum, sin, sum, add = 7; seed 1; sum^T: reshape +
    // broadcast (2); mul^T: only g·exp(y) (1); nothing for the y branch
    const [gx, n] = count(() => grad(g)(x, y));
    expect(n).toBe(7 + 1 + 2 + 1);
    expectClose(await host(gx), [0.5, -1, 2].map(Math.exp), c.rtol, c.atol, 'gx');
  });

  it('a null cotangent leaf builds nothing for that output', () => {
    const x = T([1, 2, 3]);
    const [, pullback] = vjp((v: Tensor) => [v.exp(), v.sin().cos()], x);
    // only exp's transpose: g·exp(x) (1 node)
    const ct = T([1, 1, 1]);
    const [, n] = count(() => pullback([ct, null]));
    expect(n).toBe(1);
  });
});
