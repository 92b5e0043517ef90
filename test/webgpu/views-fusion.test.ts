// Expressions fused through views and sums unrolled where they are read (scheduler.ts
// throughViews / inlineSum), and collapsed Taylor mode's stacked matmul channels: kernel counts
// (machine-independent) and values against plain-JS references, on every backend.

import { afterEach, expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { profile, tensor } from '../../src/index.js';
import { INLINE_MAX_EXTENT } from '../../src/schedule/fusion.js';
import { layeredTanhMlp } from '../../bench/mlp.js';
import { schedule } from '../../src/schedule/scheduler.js';
import type { Expr, MatmulKernel } from '../../src/schedule/kernel.js';
import type { Node } from '../../src/ir/node.js';
import { describeBackends } from '../helpers/backends.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { expectClose, lcgTensor } from './util.js';

describeBackends('fusion through views and inline sums', (c) => {
  const t = (shape: number[], seed: number, lo = -1, hi = 1) => {
    const x = lcgTensor(shape, seed, c.dtype, lo, hi);
    W._realizeNodes([x.node]);
    return x;
  };
  const tol = (got: ArrayLike<number>, want: ArrayLike<number>) => expectClose(got, want, c.rtol, c.atol);
  afterEach(() => void W._setStackedChannels('auto'));

  it('a concat of two elementwise expressions, then an op: one kernel, each piece where it belongs', async () => {
    const x = t([2, 3], 1, 0.1, 2);
    const y = t([3, 3], 2);
    const [xs, ys] = [Array.from(await x.data()), Array.from(await y.data())];
    const p = await profile(() => W.concat([x.log(), y.tanh()], 0).mul(2).data());
    expect(p.kernels).toBe(1);
    tol(p.result, [...xs.map((v) => 2 * Math.log(v)), ...ys.map((v) => 2 * Math.tanh(v))]);
  });

  it('a padded piece that overflows inside leaves exact values (not NaN) outside', async () => {
    const x = tensor([200, 0, 1], { dtype: c.dtype });
    const y = tensor([3, -4], { dtype: c.dtype });
    W._realizeNodes([x.node, y.node]);
    const p = await profile(() => W.concat([x.exp().exp(), y.mul(2)], 0).data());
    expect(p.kernels).toBe(1);
    const r = Array.from(p.result);
    expect([r[0], r[3], r[4]]).toEqual([Infinity, 6, -8]);
    expect(Math.abs(r[1]! - Math.E)).toBeLessThan(1e-5);
  });

  it('a broadcast and a slice of an expression, read by an elementwise op: one kernel', async () => {
    const x = t([2, 3], 3);
    const y = t([4, 2, 3], 4);
    const [xs, ys] = [Array.from(await x.data()), Array.from(await y.data())];
    const p = await profile(() => x.exp().reshape([1, 2, 3]).broadcastTo([4, 2, 3]).add(y).slice([1, 0, 1], [3, 2, 3]).mul(3).data());
    expect(p.kernels).toBe(1);
    const want: number[] = [];
    for (let i = 1; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 1; k < 3; k++) want.push(3 * (Math.exp(xs[j * 3 + k]!) + ys[(i * 2 + j) * 3 + k]!));
    tol(p.result, want);
  });

  it(`a sum of at most ${INLINE_MAX_EXTENT} elements read through a view is unrolled where it is read; a larger one gets its kernel`, async () => {
    for (const R of [4, INLINE_MAX_EXTENT, INLINE_MAX_EXTENT + 1]) {
      const z = t([2, 2, 3], 5);
      const y = t([R, 2, 3], 6);
      const [zs, ys] = [Array.from(await z.data()), Array.from(await y.data())];
      // the sum is read at every index of a larger space: it cannot be that kernel's accumulator
      const out = () => y.mul(y).sum(0).reshape([1, 2, 3]).broadcastTo([2, 2, 3]).add(z).tanh();
      // inlined: one elementwise kernel; larger: the sum's kernel, whose epilogue then writes both
      // channels of the broadcast (an unrolled merge, merge.ts)
      const [k] = schedule([out().node]).plan.kernels;
      expect(k?.type === 'loop' ? k.redShape : null).toEqual(R <= INLINE_MAX_EXTENT ? [] : [R]);
      const p = await profile(() => out().data());
      expect(p.kernels).toBe(1);
      tol(
        p.result,
        zs.map((v, i) => {
          let s = 0;
          for (let r = 0; r < R; r++) s += ys[r * 6 + (i % 6)]! ** 2;
          return Math.tanh(v + s);
        }),
      );
    }
  });

  it('a matmul whose A is a concat of expressions along the rows: one kernel', async () => {
    const x = t([3, 4], 7);
    const z = t([2, 3, 4], 8);
    const w = t([4, 5], 9);
    const [xs, zs, ws] = [Array.from(await x.data()), Array.from(await z.data()), Array.from(await w.data())];
    const a = W.concat([x.tanh().reshape([1, 3, 4]), z.mul(x.exp().reshape([1, 3, 4]).broadcastTo([2, 3, 4]))], 0);
    const p = await profile(() => a.reshape([9, 4]).matmul(w).data());
    expect(p.kernels).toBe(1);
    const rows = [
      ...[0, 1, 2].map((i) => xs.slice(i * 4, i * 4 + 4).map(Math.tanh)),
      ...[0, 1].flatMap((r) => [0, 1, 2].map((i) => zs.slice((r * 3 + i) * 4, (r * 3 + i) * 4 + 4).map((v, k) => v * Math.exp(xs[i * 4 + k]!)))),
    ];
    tol(
      p.result,
      rows.flatMap((row) => [0, 1, 2, 3, 4].map((j) => row.reduce((s, v, k) => s + v * ws[k * 5 + j]!, 0))),
    );
  });

  /** An L-hidden-layer tanh MLP with biases (bench/mlp.ts), weights realized or lazy (randn(...).mul(s)), and its input. */
  const mlp = (L: number, lazy: boolean) => {
    const { params, apply } = layeredTanhMlp(L, { dtype: c.dtype, lazy });
    return { f: apply(params), X: t([16, 4], 40) };
  };

  for (const lazy of [false, true]) {
    it(`collapsed Laplacian of an L-layer tanh MLP (${lazy ? 'lazy' : 'realized'} weights): ≤ 3L${lazy ? ' + 2' : ''} kernels, ≤ L + 1 stacked (one matmul per layer and the output layer); both equal nested AD`, async () => {
      for (const L of [1, 2, 3, 4]) {
        const { f, X } = mlp(L, lazy);
        const want = await W.laplacian(f, { method: 'nested' })(X).data();
        for (const stacked of [false, true]) {
          W._setStackedChannels(stacked);
          const out = W.laplacian(f)(X);
          const kernels = schedule([out.node]).plan.kernels.length;
          expect(kernels, `L = ${L}, stacked: ${stacked}`).toBeLessThanOrEqual(stacked ? L + 1 : 3 * L + (lazy ? 2 : 0));
          tol(await out.data(), want);
        }
      }
    });
  }

  it('a concatenation of channels sharing a broadcast value is unrolled over the rest (one output per channel, at its offset); unrelated pieces are not', async () => {
    const p = t([4, 8], 70);
    const v = t([3, 4, 8], 71);
    const e = p.exp();
    const shared = W.concat([e.reshape([1, 4, 8]), v.mul(e.reshape([1, 4, 8]).broadcastTo([3, 4, 8]))], 0);
    const [k, ...rest] = schedule([shared.node]).plan.kernels;
    expect(rest.length).toBe(0);
    expect(k!.type === 'loop' && k!.outShape).toEqual([4, 8]);
    expect(k!.type === 'loop' && k!.outs.map((o) => o.at ?? 0)).toEqual([0, 32, 64, 96]);
    const unrelated = W.concat([p.reshape([1, 4, 8]).exp(), v.mul(2)], 0);
    const u = schedule([unrelated.node]).plan.kernels;
    expect(u.length === 1 && u[0]!.type === 'loop' && u[0]!.outShape).toEqual([4, 4, 8]);
    const [pv, vv] = [await p.data(), await v.data()];
    const ev = Array.from(pv, Math.exp);
    tol(await shared.data(), [...ev, ...Array.from(vv, (x, i) => x * ev[i % 32]!)]);
    tol(await unrelated.data(), [...ev, ...Array.from(vv, (x) => 2 * x)]);
  });

  it('an elementwise kernel over a row block of a matmul is written by its epilogue (a block output); one reading other buffers past the first row is not', async () => {
    const a = t([8, 5], 60);
    const w = t([5, 4], 61);
    const z = t([3, 4], 62);
    const [av, wv, zv] = [await a.data(), await w.data(), await z.data()];
    const y = a.matmul(w);
    const head = y.slice([0, 0], [3, 4]).tanh();
    const mid = y.slice([2, 0], [5, 4]).tanh();
    const tail = y.slice([7, 0], [8, 4]).exp();
    const midPlus = y.slice([2, 0], [5, 4]).add(z);
    const blocks = (outs: readonly Node[]) => {
      const ks = schedule(outs).plan.kernels;
      return ks.length === 1 && ks[0]!.type === 'matmul' ? ks[0]!.outs.map((o) => [o.from ?? 0, o.prefix]) : ks.length;
    };
    expect(blocks([y.node, head.node])).toEqual([
      [0, undefined],
      [0, 12],
    ]);
    expect(blocks([y.node, mid.node, tail.node])).toEqual([
      [0, undefined],
      [8, 20],
      [28, 32],
    ]);
    expect(blocks([y.node, midPlus.node])).toBe(2);
    const prod = Array.from({ length: 32 }, (_, e) => {
      const [i, j] = [Math.floor(e / 4), e % 4];
      return Array.from({ length: 5 }, (_, p) => av[i * 5 + p]! * wv[p * 4 + j]!).reduce((x, q) => x + q, 0);
    });
    W._realizeNodes([y.node, head.node, mid.node, tail.node]);
    tol(await y.data(), prod);
    tol(await head.data(), prod.slice(0, 12).map(Math.tanh));
    tol(await mid.data(), prod.slice(8, 20).map(Math.tanh));
    tol(await tail.data(), prod.slice(28, 32).map(Math.exp));
    tol(
      await midPlus.data(),
      prod.slice(8, 20).map((v, i) => v + zv[i]!),
    );
  });

  it('stacked channels compute each hidden tanh once: in the epilogue of the stacked matmul, over its primal rows, never in the loads of the next', async () => {
    const { f, X } = mlp(3, false);
    const want = await W.laplacian(f, { method: 'nested' })(X).data();
    W._setStackedChannels(true);
    const out = W.laplacian(f)(X);
    const kernels = schedule([out.node]).plan.kernels;
    const tanhs = (e: Expr | null | undefined): number => {
      const seen = new Set<Expr>();
      const walk = (x: Expr): number => {
        if (seen.has(x)) return 0;
        seen.add(x);
        return x.k === 'op' ? (x.op === 'tanh' ? 1 : 0) + x.args.reduce((s, a) => s + walk(a), 0) : 0;
      };
      return e ? walk(e) : 0;
    };
    const stacked = kernels.filter((k): k is MatmulKernel => k.type === 'matmul' && k.batch * k.m > 16); // more rows than data points
    expect(stacked.length).toBe(3); // the input layer's (data points and directions) and two hidden layers'
    for (const k of stacked) expect(tanhs(k.aPrologue?.expr), 'tanh in stacked loads').toBe(0);
    // the first two write tanh of their primal rows (16 data points × 8 units) as a row-block output
    const blocks = stacked.flatMap((k) => k.outs.filter((o) => o.prefix !== undefined).map((o) => [o.prefix, tanhs(o.expr)]));
    expect(blocks).toEqual([
      [16 * 8, 1],
      [16 * 8, 1],
    ]);
    tol(await out.data(), want);
  });

  it('by default the backend decides: stacked channels on GPUs, not on the CPU or slow-barrier adapters (SwiftShader), and the default Laplacian takes the count that goes with it', async () => {
    const b = W._backend();
    expect(b.stackedChannels).toBe(b instanceof WebGpuBackend ? !b.info.slowBarriers : false);
    for (const L of [1, 2, 3, 4]) {
      const { f, X } = mlp(L, true);
      const out = W.laplacian(f)(X);
      const kernels = schedule([out.node]).plan.kernels.length;
      expect(kernels, `L = ${L}`).toBeLessThanOrEqual(b.stackedChannels ? L + 1 : 3 * L + 2);
      if (b.stackedChannels) expect(kernels, `L = ${L}`).toBeLessThan(3 * L); // the unstacked plan's count would not do
      tol(await out.data(), await W.laplacian(f, { method: 'nested' })(X).data());
    }
  });

  /** The loss mean((Δu − 1)²) of an L-layer tanh MLP u (bench/mlp.ts) as a function of its parameters, and parameters for it. */
  const pinnLoss = (L: number, lazy = false) => {
    const { params: ps, apply } = layeredTanhMlp(L, { dtype: c.dtype, lazy });
    const X = t([16, 4], 40);
    const loss = (q: W.Tensor[]) => {
      const r = W.laplacian(apply(q))(X).sub(1);
      return r.mul(r).mean();
    };
    return { loss, ps };
  };
  const stepKernels = (grads: W.Tensor[]): number => schedule(grads.map((g) => g.node)).plan.kernels.length;

  for (const lazy of [false, true]) {
    it(`the training step of an L-layer tanh MLP (${lazy ? 'lazy' : 'realized'} weights): ≤ 11L + 1 kernels, ≤ 5L + 5 stacked`, () => {
      for (const L of [1, 2, 3, 4, 5]) {
        const { loss, ps } = pinnLoss(L, lazy);
        for (const stacked of [false, true]) {
          W._setStackedChannels(stacked);
          const kernels = stepKernels(W.grad(loss)(ps) as W.Tensor[]);
          expect(kernels, `L = ${L}, stacked: ${stacked}`).toBeLessThanOrEqual(stacked ? 5 * L + 5 : 11 * L + 1);
        }
      }
    });
  }

  it('the stacked training step (gradient of a collapsed-Laplacian loss) takes fewer kernels and equals the unstacked one', async () => {
    const { loss, ps } = pinnLoss(2);
    W._setStackedChannels(false);
    const plain = W.grad(loss)(ps) as W.Tensor[];
    W._setStackedChannels(true);
    const stacked = W.grad(loss)(ps) as W.Tensor[];
    expect(stepKernels(stacked)).toBeLessThan(stepKernels(plain));
    for (let i = 0; i < ps.length; i++) tol(await stacked[i]!.data(), await plain[i]!.data());
  });
});
