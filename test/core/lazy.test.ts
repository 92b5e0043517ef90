// Laziness (no backend call before readback, counted), common-subexpression elimination and
// fusion, asserted through profile() kernel counts and the scheduler's kernel plans.

import { afterEach, expect, it, vi } from 'vitest';
import * as W from '../../src/internal.js';
import type { Tensor } from '../../src/index.js';
import type { Expr } from '../../src/schedule/kernel.js';
import { schedule } from '../../src/schedule/scheduler.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

/** How many elementwise op nodes of kind `op` a kernel's expression DAG holds (shared nodes once). */
function countOps(roots: (Expr | null)[], op: string): number {
  const seen = new Set<Expr>();
  const stack = roots.filter((e): e is Expr => e !== null);
  let n = 0;
  while (stack.length) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    if (e.k === 'op') {
      if (e.op === op) n++;
      stack.push(...e.args);
    }
  }
  return n;
}

function exprsOf(t: Tensor): (Expr | null)[] {
  const { plan } = schedule([t.node]);
  return plan.kernels.flatMap((k) => [...k.outs.map((o) => o.expr), k.type === 'loop' ? k.prologue : null]);
}

describeBackends('laziness', (c) => {
  const rng = new R.Lcg(707);
  afterEach(() => vi.restoreAllMocks());

  it('building ops calls no backend method and changes no backend counter', async () => {
    const b = W._backend();
    const spies = [vi.spyOn(b, 'upload'), vi.spyOn(b, 'execute'), vi.spyOn(b, 'read')];
    const before = { ...b.stats };
    const [x, xr] = R.input(rng, [4, 3], c);
    const y = W.randn([3, 2], { seed: 1, dtype: c.dtype });
    const z = x
      .exp()
      .mul(2)
      .matmul(y)
      .tanh()
      .sum(0)
      .reshape([1, 2])
      .pad([
        [0, 1],
        [1, 0],
      ]);
    const w = W.concat([z, z]).transpose().slice([1]).max();
    expect(b.stats).toEqual(before);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    await w.data();
    expect(spies[1]).toHaveBeenCalledTimes(1); // one plan for the whole graph
    expect(spies[2]).toHaveBeenCalledTimes(1);
    expect(b.stats.plans - before.plans).toBe(1);
    expect(b.stats.kernels).toBeGreaterThan(before.kernels);
    void xr;
  });

  it('shape and dtype are known without computing', () => {
    const b = W._backend();
    const before = { ...b.stats };
    const x = W.ones([2, 3], { dtype: c.dtype });
    const y = x
      .matmul(W.ones([3, 5], { dtype: c.dtype }))
      .sum(-1, true)
      .broadcastTo([4, 2, 5]);
    expect(y.shape).toEqual([4, 2, 5]);
    expect(y.dtype).toBe(c.dtype);
    expect(y.size).toBe(40);
    expect(b.stats).toEqual(before);
  });

  it('reading a value twice computes it once; later ops reuse it', async () => {
    const [x] = R.input(rng, [8], c);
    const y = x.exp().sin();
    const first = await W.profile(() => y.data());
    expect(first.kernels).toBe(1);
    const again = await W.profile(() => y.data());
    expect(again.kernels).toBe(0);
    expect(again.plans).toBe(0);
    const z = await W.profile(() => y.add(1).data());
    expect(z.kernels).toBe(1);
  });

  it('realizing several tensors at once runs one plan', async () => {
    const [x] = R.input(rng, [5], c);
    const a = x.exp(),
      b = x.sin(),
      d = a.add(b);
    const p = await W.profile(() => W._realizeNodes([a.node, b.node, d.node]));
    expect(p.plans).toBe(1);
    const q = await W.profile(async () => [await a.data(), await b.data(), await d.data()]);
    expect(q.kernels).toBe(0);
  });
});

describeBackends('CSE and fusion', (c) => {
  const rng = new R.Lcg(808);

  it('a = x + y; a * (x + y) computes one add, in one kernel', async () => {
    const [x, xr] = R.input(rng, [6], c);
    const [y, yr] = R.input(rng, [6], c);
    const a = x.add(y);
    const z = a.mul(x.add(y));
    expect(countOps(exprsOf(z), 'add')).toBe(1);
    expect(countOps(exprsOf(a.add(x).mul(a.add(x))), 'add')).toBe(2);
    const p = await W.profile(() =>
      R.expectClose(
        z,
        R.map(
          R.zip(xr, yr, (u, v) => u + v),
          (s) => s * s,
        ),
        c,
      ),
    );
    expect(p.kernels).toBe(1);
  });

  it('identical subexpressions with number operands are shared', () => {
    const [x] = R.input(rng, [6], c);
    const z = x.mul(3).exp().add(x.mul(3).exp().mul(0.5));
    expect(countOps(exprsOf(z), 'exp')).toBe(1);
    expect(countOps(exprsOf(z), 'mul')).toBe(2); // x*3 once, then *0.5
  });

  it('identical reductions and matmuls are computed once', async () => {
    const [x, xr] = R.input(rng, [4, 5], c);
    const [w, wr] = R.input(rng, [5, 3], c);
    const s = x.sum(1).add(x.sum(1));
    const ps = await W.profile(() =>
      R.expectClose(
        s,
        R.map(R.rsum(xr, 1), (v) => 2 * v),
        c,
        R.map(R.rsum(R.map(xr, Math.abs), 1), (v) => 2 * v),
      ),
    );
    expect(ps.kernels).toBe(1);
    const m = x.matmul(w).tanh().mul(x.matmul(w).tanh());
    const pm = await W.profile(() =>
      R.expectClose(
        m,
        R.map(R.matmul(xr, wr), (v) => Math.tanh(v) ** 2),
        c,
        R.map(R.matmulScale(xr, wr), (v) => Math.tanh(v) ** 2 + 1),
      ),
    );
    expect(pm.kernels).toBe(1);
  });

  it('two tensors built separately from the same ops share one kernel', async () => {
    const [x] = R.input(rng, [7], c);
    const u = x.exp().mul(2),
      v = x.exp().mul(2);
    const p = await W.profile(() => W._realizeNodes([u.node, v.node]));
    expect(p.kernels).toBe(1);
    expect(Array.from(await u.data())).toEqual(Array.from(await v.data()));
  });

  it('a chain of 10 elementwise ops (with broadcasting and numbers) is one kernel', async () => {
    const [x, xr] = R.input(rng, [3, 4], c, -1, 1);
    const [b, br] = R.input(rng, [4], c, 0.5, 1.5);
    const z = x.add(b).mul(2).tanh().sub(x).abs().add(1).log().div(b).neg().exp();
    const ref = R.map(
      R.zip(
        R.map(
          R.map(
            R.zip(
              R.map(
                R.map(
                  R.zip(xr, br, (u, v) => u + v),
                  (t) => 2 * t,
                ),
                Math.tanh,
              ),
              xr,
              (u, v) => u - v,
            ),
            Math.abs,
          ),
          (t) => Math.log(t + 1),
        ),
        br,
        (u, v) => -u / v,
      ),
      Math.exp,
    );
    const p = await W.profile(() => R.expectClose(z, ref, c));
    expect(p.kernels).toBe(1);
  });

  it('matmul + bias + tanh is one kernel; sum with prologue and epilogue is one kernel', async () => {
    const [x] = R.input(rng, [5, 3], c);
    const [w] = R.input(rng, [3, 4], c);
    const [b] = R.input(rng, [4], c);
    expect((await W.profile(() => x.matmul(w).add(b).tanh().data())).kernels).toBe(1);
    expect((await W.profile(() => x.mul(x).exp().sum(1).sqrt().mul(3).data())).kernels).toBe(1);
  });

  it('views cost no kernel; a reshape strides cannot express costs one copy', async () => {
    const [x] = R.input(rng, [4, 6], c);
    expect((await W.profile(() => x.transpose().slice([1], [5], [2]).add(1).data())).kernels).toBe(1);
    expect(
      (
        await W.profile(() =>
          x
            .broadcastTo([2, 4, 6])
            .pad([
              [0, 0],
              [1, 1],
              [0, 0],
            ])
            .exp()
            .data(),
        )
      ).kernels,
    ).toBe(1);
    expect((await W.profile(() => x.transpose().reshape([4, 6]).add(1).data())).kernels).toBe(2);
    expect((await W.profile(() => x.reshape([2, 12]).add(1).data())).kernels).toBe(1);
  });

  it('dead code is not computed: only what the read value needs runs', async () => {
    const [x] = R.input(rng, [16], c);
    const unused = x.matmul(x).exp(); // never read
    void unused;
    const y = x.sin();
    expect((await W.profile(() => y.data())).kernels).toBe(1);
  });

  it('a reshape asked for together with its input shares its buffer: no copy kernel', async () => {
    const x = W.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: c.dtype },
    );
    const z = x.add(1);
    const zr = z.reshape([4]);
    const p = await W.profile(() => W._realizeNodes([z.node, zr.node]));
    expect(p.kernels).toBe(1);
    z.dispose(); // the other owner keeps the shared buffer
    expect(Array.from(await zr.data())).toEqual([2, 3, 4, 5]);
    expect((await W.profile(() => x.reshape([1, 4]).data())).kernels).toBe(0);
    expect(Array.from(await x.transpose().reshape([4]).data())).toEqual([1, 3, 2, 4]); // a copy
  });
});

describeBackends('evaluate()', (c) => {
  it('computes a value and its gradients in one plan; later reads run nothing', async () => {
    const x = W.tensor([0.5, -1, 2], { dtype: c.dtype });
    const [value, g] = W.valueAndGrad((v: W.Tensor) => v.tanh().square().sum())(x) as [W.Tensor, W.Tensor];
    const p = await W.profile(() => W.evaluate(value, { g }));
    expect(p.plans).toBe(1);
    const q = await W.profile(async () => [await value.data(), await g.data()]);
    expect(q.kernels).toBe(0);
    const want = [0.5, -1, 2].map((v) => 2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2));
    const got = await g.data();
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(c.atol + c.rtol * Math.abs(w)));
    expect(Math.abs((await value.item()) - [0.5, -1, 2].reduce((s, v) => s + Math.tanh(v) ** 2, 0))).toBeLessThan(1e-5);
  });

  it('rejects what is not a tensor tree', async () => {
    await expect(W.evaluate([W.tensor([1]), 'x'])).rejects.toThrow(/evaluate/);
  });
});
