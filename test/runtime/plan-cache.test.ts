// Plan reuse without jit (src/schedule/plan-cache.ts, realize() in src/runtime.ts): a graph of the
// same structure reuses its plan (no scheduling) with the new leaves and scalar values; what the
// scheduler decides from values (scalar classes, the values rewrites inspect, leaf aliasing) keys
// a new plan; the cache is bounded and holds no nodes.

import { beforeEach, describe, expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { ArgumentError } from '../../src/index.js';
import { PlanCache, fingerprint } from '../../src/schedule/plan-cache.js';
import { schedule } from '../../src/schedule/scheduler.js';
import { storageBindings } from '../../src/schedule/exprs.js';
import { MAX_STORAGE_BUFFERS } from '../../src/schedule/split.js';
import { activeStorageBufferLimit, setActiveBackendName } from '../../src/ir/host.js';
import { benchmarkMlp, layeredTanhMlp } from '../../bench/mlp.js';
import { describeBackends } from '../helpers/backends.js';
import { gc } from '../helpers/gc.js';

/** Schedules made and cache hits while `fn` runs. */
async function counting<T>(fn: () => Promise<T>): Promise<{ schedules: number; hits: number; result: T }> {
  const a = W._planCacheStats();
  const result = await fn();
  const b = W._planCacheStats();
  return { schedules: b.schedules - a.schedules, hits: b.hits - a.hits, result };
}

const same = (got: ArrayLike<number>, want: readonly number[]): void => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Object.is(got[i], w) || Math.abs(got[i]! - w) <= 1e-6 * Math.max(1, Math.abs(w))).toBe(true));
};

describeBackends('plan reuse without jit', (c) => {
  const dtype = c.dtype;
  const t = (xs: number[]): W.Tensor => W.tensor(xs, { dtype });
  // plans are backend-independent: start each test with an empty cache, so that the counts are its own
  beforeEach(() => {
    W._setPlanCache(true, true);
  });

  it('the same structure with other values: correct values, no scheduling the second time', async () => {
    const g = (a: W.Tensor, b: W.Tensor): W.Tensor => a.mul(b).add(a.exp()).sum();
    const first = await counting(() => g(t([1, 2, 3]), t([4, 5, 6])).data());
    same(first.result, [4 + 10 + 18 + Math.exp(1) + Math.exp(2) + Math.exp(3)]);
    const second = await counting(() => g(t([0.5, -1, 2]), t([2, 3, -4])).data());
    expect(second.schedules).toBe(0);
    expect(second.hits).toBe(1);
    same(second.result, [1 - 3 - 8 + Math.exp(0.5) + Math.exp(-1) + Math.exp(2)]);
  });

  it("a plan is made for the backend's storage-buffer limit and replayed only under the same limit", async () => {
    const xs = Array.from({ length: 11 }, (_, i) => t([i, i + 1]));
    // one kernel reading 11 buffers where 12 are allowed, split where 8 are
    const g = (): W.Tensor => xs.reduce((acc, x, i) => acc.add(x.mul(i + 1)));
    const want = [0, 1].map((j) => xs.reduce((s, _, i) => s + (i + 1) * (i + j), 0));
    const b = W._backend();
    expect(activeStorageBufferLimit()).toBe(b.storageBufferLimit);
    same((await counting(() => g().data())).result, want);
    setActiveBackendName(b.name, b.stackedChannels, MAX_STORAGE_BUFFERS);
    try {
      const under8 = await counting(() => g().data());
      expect(under8.schedules).toBe(1); // not the plan made for b.storageBufferLimit
      same(under8.result, want);
      for (const k of schedule([g().node]).plan.kernels) expect(storageBindings(k)).toBeLessThanOrEqual(MAX_STORAGE_BUFFERS);
    } finally {
      setActiveBackendName(b.name, b.stackedChannels, b.storageBufferLimit);
    }
    expect((await counting(() => g().data())).schedules).toBe(0);
  });

  it('scalar constants are substituted: x * 2 then x * 3 (and x + 2.5 then x + 7)', async () => {
    const x = t([1, -2, 3]);
    same(await x.mul(2).add(2.5).data(), [4.5, -1.5, 8.5]);
    const r = await counting(() => x.mul(3).add(7).data());
    expect(r.schedules).toBe(0);
    same(r.result, [10, 1, 16]);
    same(await x.mul(2).add(2.5).data(), [4.5, -1.5, 8.5]); // back to the first values
  });

  it('scalars equal or not (CSE and shared kernel parameters) key different plans', async () => {
    const x = t([1, 2]);
    const y = t([3, 5]);
    const g = (p: number, q: number): W.Tensor => x.mul(p).add(y.mul(q)).add(x.mul(q));
    same(await g(2, 2).data(), [2 + 6 + 2, 4 + 10 + 4]);
    same(await g(2, 3).data(), [2 + 9 + 3, 4 + 15 + 6]);
    same(await g(4, 4).data(), [4 + 12 + 4, 8 + 20 + 8]);
    same(await g(5, 6).data(), [5 + 18 + 6, 10 + 30 + 12]);
  });

  it('values the rewrites inspect (1, +0, -0) key different plans', async () => {
    const x = t([-0, 2, -3]);
    same(await x.mul(1).data(), [-0, 2, -3]);
    const two = await counting(() => x.mul(2).data());
    expect(two.schedules).toBe(1); // x * 1 was rewritten to x: not the same plan
    same(two.result, [-0, 4, -6]);
    same(await x.mul(1).data(), [-0, 2, -3]);
    // x + (-0) is x; x + 0 turns -0 into +0
    same(await x.add(-0).data(), [-0, 2, -3]);
    same(await x.add(0).data(), [0, 2, -3]);
    same(await x.add(-0).data(), [-0, 2, -3]);
    // x - 0 is x; x - (-0) turns -0 into +0
    same(await x.sub(0).data(), [-0, 2, -3]);
    same(await x.sub(-0).data(), [0, 2, -3]);
    same(await x.div(1).data(), [-0, 2, -3]);
    same(await x.div(2).data(), [-0, 1, -1.5]);
  });

  it('leaf aliasing: f(a, a) and f(a, b) get their own plans', async () => {
    const f = (p: W.Tensor, q: W.Tensor): W.Tensor => p.mul(2).add(q.exp());
    const a = t([1, 2]);
    const b = t([0, -1]);
    same(await f(a, a).data(), [2 + Math.exp(1), 4 + Math.exp(2)]);
    const ab = await counting(() => f(a, b).data());
    expect(ab.schedules).toBe(1);
    same(ab.result, [2 + 1, 4 + Math.exp(-1)]);
    const ba = await counting(() => f(b, a).data());
    expect(ba.schedules).toBe(0);
    same(ba.result, [0 + Math.exp(1), -2 + Math.exp(2)]);
    same(await f(b, b).data(), [0 + 1, -2 + Math.exp(-1)]);
  });

  it('several targets, one of them a leaf, realized together', async () => {
    for (const [u, v] of [
      [1, 2],
      [3, -4],
    ] as const) {
      const a = t([u, v]);
      const s = a.mul(a);
      const e = s.add(1);
      W._realizeNodes([e.node, a.node, s.node, e.node]);
      same(await e.data(), [u * u + 1, v * v + 1]);
      same(await s.data(), [u * u, v * v]);
    }
  });

  it('a disposed input is still reported when the plan is cached', async () => {
    const g = (a: W.Tensor): W.Tensor => a.sin().mul(3);
    await g(t([1])).data();
    const a = t([2]);
    const y = g(a);
    a.dispose();
    await expect(y.data()).rejects.toThrow(ArgumentError);
  });

  it('laplacian(f)(X) in a loop reuses its plan', async () => {
    const { f, X } = benchmarkMlp(dtype, 4, 8, 16);
    const lap = W.laplacian(f);
    const ref = await lap(X).data();
    for (let i = 0; i < 3; i++) {
      const r = await counting(() => lap(X).data());
      expect(r.schedules).toBe(0);
      expect(r.hits).toBeGreaterThan(0);
      expect(Array.from(r.result)).toEqual(Array.from(ref));
    }
  });

  it('graphs the rewrites add constants to are cached too: an outer product (K = 1) and a training step', async () => {
    // the outer-product rewrite computes 0 + P·Q with a +0 the scheduler owns (no node of the graph)
    const outer = (p: W.Tensor, q: W.Tensor): W.Tensor => p.reshape([3, 1]).matmul(q.reshape([1, 2]));
    same(await outer(t([1, 2, 3]), t([4, 5])).data(), [4, 5, 8, 10, 12, 15]);
    const r = await counting(() => outer(t([-1, 0, 2]), t([3, -2])).data());
    expect(r.schedules).toBe(0);
    same(r.result, [-3, 2, 0, -0, 6, -4]);
    // the gradient of a loss of a Laplacian, as a PINN training step computes it, in a loop
    const { apply, params } = layeredTanhMlp(2, { D: 4, H: 8, dtype });
    const X = W.randn([16, 4], { seed: 3, dtype });
    const step = (q: W.Tensor[]): W.Tensor[] => W.grad((p: W.Tensor[]) => W.laplacian(apply(p))(X).square().mean())(q) as W.Tensor[];
    const grads = async (): Promise<ArrayLike<number>[]> => {
      const gs = step(params);
      await W.evaluate(gs); // one plan for every gradient
      return Promise.all(gs.map((g) => g.data()));
    };
    const ref = await grads();
    for (let i = 0; i < 2; i++) {
      const s = await counting(grads);
      expect(s.schedules).toBe(0);
      s.result.forEach((g, j) => expect(Array.from(g)).toEqual(Array.from(ref[j]!)));
    }
  });
});

describe('PlanCache', () => {
  const x = (): W.Tensor => W.tensor([1, 2, 3], { dtype: 'float32' });

  it('is bounded, least recently used out', () => {
    const cache = new PlanCache(2);
    const graphs = [(a: W.Tensor) => a.exp(), (a: W.Tensor) => a.sin(), (a: W.Tensor) => a.cos()];
    const nodes = graphs.map((g) => g(x()).node);
    const fps = nodes.map((n) => fingerprint([n])!);
    cache.store(fps[0]!, schedule([nodes[0]!]));
    cache.store(fps[1]!, schedule([nodes[1]!]));
    expect(cache.lookup(fps[0]!)).not.toBeNull(); // exp is now the most recent
    cache.store(fps[2]!, schedule([nodes[2]!]));
    expect(cache.size).toBe(2);
    expect(cache.lookup(fps[1]!)).toBeNull();
    expect(cache.lookup(fps[0]!)).not.toBeNull();
    expect(cache.lookup(fps[2]!)).not.toBeNull();
  });

  it('keeps kernel objects while the scalar values stay, new ones with the new values otherwise', () => {
    const cache = new PlanCache();
    const g = (a: W.Tensor, k: number): W.Tensor => a.mul(k).exp().sum().add(1);
    const n0 = g(x(), 2).node;
    const s0 = schedule([n0]);
    cache.store(fingerprint([n0])!, s0);
    const hit = cache.lookup(fingerprint([g(x(), 2).node])!)!;
    expect(hit.plan.kernels).toBe(s0.plan.kernels);
    const other = cache.lookup(fingerprint([g(x(), 5).node])!)!;
    const scalars = other.plan.kernels.flatMap((k) => [...k.scalars]);
    expect(scalars).toContain(5);
    expect(scalars).not.toContain(2);
    expect(scalars).toEqual(schedule([g(x(), 5).node]).plan.kernels.flatMap((k) => [...k.scalars]));
  });

  it('holds no nodes of the graphs it planned', async () => {
    const cache = new PlanCache();
    let a: W.Tensor | null = x();
    let y: W.Tensor | null = a.mul(2).exp();
    const refs = [new WeakRef(a.node), new WeakRef(y.node)];
    cache.store(fingerprint([y.node])!, schedule([y.node]));
    a = y = null;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(refs.map((r) => r.deref())).toEqual([undefined, undefined]);
    expect(cache.size).toBe(1);
  });
});
