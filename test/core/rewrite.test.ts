// Algebraic rewrites (src/schedule/rewrite.ts): x * 1, x / 1, x - 0, x + (-0) and -(-x) vanish from
// the kernels, values stay exact for every float (NaN, infinities, signed zeros).

import { beforeAll, describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { Expr } from '../../src/schedule/kernel.js';
import { schedule } from '../../src/schedule/scheduler.js';
import { describeBackends } from '../helpers/backends.js';

function opsIn(t: W.Tensor): string[] {
  const ops: string[] = [];
  const walk = (e: Expr): void => {
    if (e.k === 'op') {
      ops.push(e.op);
      e.args.forEach(walk);
    }
  };
  for (const k of schedule([t.node]).plan.kernels) k.outs.forEach((o) => walk(o.expr));
  return ops;
}

describeBackends('algebraic rewrites', (c) => {
  it('x * 1, 1 * x, x / 1, x - 0, x + (-0) and -(-x) build no ops', async () => {
    const x = W.tensor([0.5, -3, 2], { dtype: c.dtype });
    const y = x.exp().mul(1).div(1).sub(0).add(-0).neg().neg();
    expect(opsIn(y)).toEqual(['exp']);
    expect(opsIn(W.mul(1, x.sin()))).toEqual(['sin']);
    const got = await y.data();
    [0.5, -3, 2].forEach((v, i) => expect(Math.abs(got[i]! - Math.exp(v))).toBeLessThanOrEqual(c.rtol * Math.exp(v)));
  });

  it('x + 0 and x - (-0) are kept: they turn -0 into +0', async () => {
    const x = W.tensor([-0, 1], { dtype: c.dtype });
    expect(opsIn(x.add(0))).toEqual(['add']);
    expect(opsIn(x.sub(-0))).toEqual(['sub']);
    expect(Object.is((await x.add(0).data())[0], 0)).toBe(true);
    expect(Object.is((await x.mul(1).data())[0], -0)).toBe(true);
  });

  it('a realized reshape or broadcast (its input dropped) is an operand like any other', async () => {
    const x = W.tensor([1, 2, 3, 4], { dtype: c.dtype }).mul(3);
    const r = x.reshape([2, 2]);
    const b = W.tensor([1], { dtype: c.dtype }).add(1).broadcastTo([2, 2]);
    expect(Array.from(await r.data())).toEqual([3, 6, 9, 12]);
    await b.data();
    expect(Array.from(await r.mul(0.5).data())).toEqual([1.5, 3, 4.5, 6]);
    expect(Array.from(await r.mul(b).data())).toEqual([6, 12, 18, 24]);
  });
});

// CPU only: WGSL does not promise NaN / infinity / signed-zero semantics
describe('algebraic rewrites keep special values exactly (CPU)', () => {
  beforeAll(async () => {
    await W.init({ backend: 'cpu' });
  });
  const special = [1.5, -2, 0, -0, Infinity, -Infinity, NaN];
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: NaN, ±Infinity and ±0 pass through a rewritten chain unchanged`, async () => {
      const x = W.tensor(special, { dtype });
      const got = Array.from(await x.mul(1).div(1).sub(0).neg().neg().add(-0).data());
      got.forEach((v, i) => expect(Object.is(v, special[i])).toBe(true));
    });
  }
});
