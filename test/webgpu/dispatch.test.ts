// Kernel counts (machine-independent, asserted on every backend): fusion of elementwise chains,
// matmul epilogues, multi-output kernels from the merge pass; and the plans the scheduler hands
// a backend.

import { expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { profile } from '../../src/index.js';
import { argsRead, kernelRoots, storageBindings } from '../../src/schedule/exprs.js';
import type { Expr } from '../../src/schedule/kernel.js';
import { schedule } from '../../src/schedule/scheduler.js';
import { activeStorageBufferLimit } from '../../src/ir/host.js';
import { MAX_STORAGE_BUFFERS } from '../../src/schedule/split.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, lcgTensor } from './util.js';

describeBackends('kernel counts', (c) => {
  const t = (shape: number[], seed: number, lo = -1, hi = 1) => lcgTensor(shape, seed, c.dtype, lo, hi);
  const tol = (got: ArrayLike<number>, want: ArrayLike<number>) => expectClose(got, want, c.rtol, c.atol);

  it('a chain of 10 elementwise ops is one kernel', async () => {
    const x = t([64, 33], 1, 0.5, 2);
    const xs = Array.from(await x.data());
    const p = await profile(() => x.add(1).mul(2).sub(3).exp().log().neg().abs().sqrt().mul(x).add(0.5).data());
    expect(p.kernels).toBe(1);
    expect(p.plans).toBe(1);
    tol(
      p.result,
      xs.map((v) => Math.sqrt(Math.abs(-Math.log(Math.exp((v + 1) * 2 - 3)))) * v + 0.5),
    );
  });

  it('matmul + bias + tanh is one kernel', async () => {
    const x = t([16, 24], 2),
      w = t([24, 12], 3),
      b = t([12], 4);
    const p = await profile(() => x.matmul(w).add(b).tanh().data());
    expect(p.kernels).toBe(1);
    const [X, Wm, B] = [await x.data(), await w.data(), await b.data()];
    const want: number[] = [];
    for (let i = 0; i < 16; i++)
      for (let j = 0; j < 12; j++) {
        let s = 0;
        for (let k = 0; k < 24; k++) s += X[i * 24 + k]! * Wm[k * 12 + j]!;
        want.push(Math.tanh(s + B[j]!));
      }
    tol(p.result, want);
  });

  it('a primal and its tangent are written by one kernel (multi-output merge)', async () => {
    const x = t([1024], 5),
      v = t([1024], 6);
    W._realizeNodes([x.node, v.node]); // uploads outside the measurement
    const [y, dy] = W.jvp((a: W.Tensor) => a.sin().mul(a), [x], [v]);
    const live = W._backend().stats.liveBytes;
    const p = await profile(() => W._realizeNodes([y.node, dy.node]));
    expect(p.kernels).toBe(1);
    // at no point more than the two outputs: sin(x), shared by both, never gets a buffer
    expect(p.peakBytes - live).toBe(2 * 1024 * (c.dtype === 'float32' ? 4 : 8));
    const X = await x.data(),
      V = await v.data();
    tol(
      await y.data(),
      Array.from(X, (a) => Math.sin(a) * a),
    );
    tol(
      await dy.data(),
      Array.from(X, (a, i) => (Math.cos(a) * a + Math.sin(a)) * V[i]!),
    );
  });

  it('an elementwise kernel moves forward into a later reduction of its space, unless a kernel in between reads it', async () => {
    const a = t([6], 11),
      b = t([6, 4], 12),
      c2 = t([6, 5], 13);
    const e = a.sin(); // scheduled first (asked for first), a reduction after it
    const s = b.exp().sum(1);
    const kernels = schedule([e.node, s.node]).plan.kernels;
    expect(kernels.map((k) => [k.type, k.type === 'loop' ? k.redShape : null, k.outs.length])).toEqual([['loop', [4], 2]]);
    const [A, B] = [await a.data(), await b.data()];
    tol(await e.data(), Array.from(A, Math.sin));
    tol(
      await s.data(),
      Array.from({ length: 6 }, (_, i) => [0, 1, 2, 3].reduce((acc, j) => acc + Math.exp(B[i * 4 + j]!), 0)),
    );
    // a reduction in between reads e2's buffer: e2 stays where it is
    const e2 = a.cos(),
      s2 = b.exp().sum(1);
    const r = e2.reshape([6, 1]).broadcastTo([6, 5]).mul(c2).sum(1);
    expect(schedule([e2.node, r.node, s2.node]).plan.kernels.map((k) => k.outs.length)).toEqual([1, 1, 1]);
  });

  it('a kernel that a moved kernel reads through a view stays before it (values right)', async () => {
    const a = t([3, 3], 14),
      b = t([3, 3, 4], 15);
    const e1 = a.sin();
    const e2 = e1.transpose().mul(2); // reads e1 at other indices: never in one kernel with it
    const s = b.exp().sum(2);
    const { kernels } = schedule([e1.node, e2.node, s.node]).plan;
    expect(kernels.length).toBe(2);
    const [A, B] = [await a.data(), await b.data()];
    W._realizeNodes([e1.node, e2.node, s.node]); // one plan for the three
    tol(await e1.data(), Array.from(A, Math.sin));
    tol(
      await e2.data(),
      Array.from({ length: 9 }, (_, i) => 2 * Math.sin(A[(i % 3) * 3 + Math.floor(i / 3)]!)),
    );
    tol(
      await s.data(),
      Array.from({ length: 9 }, (_, i) => [0, 1, 2, 3].reduce((acc, j) => acc + Math.exp(B[i * 4 + j]!), 0)),
    );
  });

  it('a tanh layer and its tangent take one kernel per matmul', async () => {
    const x = t([8, 16], 7),
      v = t([8, 16], 8),
      w = t([16, 32], 9),
      b = t([32], 10);
    const [y, dy] = W.jvp((a: W.Tensor) => a.matmul(w).add(b).tanh(), [x], [v]);
    const p = await profile(() => W._realizeNodes([y.node, dy.node]));
    expect(p.kernels).toBe(2);
    const [Y, DY] = [await y.data(), await dy.data()];
    const [X, V, Wm, B] = [await x.data(), await v.data(), await w.data(), await b.data()];
    const wy: number[] = [],
      wdy: number[] = [];
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 32; j++) {
        let s = B[j]!,
          d = 0;
        for (let k = 0; k < 16; k++) {
          s += X[i * 16 + k]! * Wm[k * 32 + j]!;
          d += V[i * 16 + k]! * Wm[k * 32 + j]!;
        }
        wy.push(Math.tanh(s));
        wdy.push((1 - Math.tanh(s) ** 2) * d);
      }
    tol(Y, wy);
    tol(DY, wdy);
  });

  it('independent elementwise results of one realization share a kernel', async () => {
    const x = t([40, 7], 11);
    const a = x.exp(),
      b = x.cos().mul(2),
      s = x.sum(1);
    const p = await profile(() => W._realizeNodes([a.node, b.node, s.node]));
    expect(p.kernels).toBe(2); // the reduction has another shape
    const X = await x.data();
    tol(await a.data(), Array.from(X, Math.exp));
    tol(
      await b.data(),
      Array.from(X, (v) => 2 * Math.cos(v)),
    );
  });

  it("kernels reading more than 12 buffers are split to fit the storage-buffer limit (8 and the backend's)", async () => {
    const xs = Array.from({ length: 13 }, (_, i) => t([50], 20 + i));
    let acc = xs[0]!;
    for (let i = 1; i < xs.length; i++) acc = acc.add(xs[i]!.mul(i + 1));
    for (const limit of LIMITS()) {
      const { plan } = schedule([acc.node], limit);
      expect(plan.kernels.length).toBeGreaterThan(1);
      for (const k of plan.kernels) expect(storageBindings(k)).toBeLessThanOrEqual(limit);
      // the unsplit kernel would read 13 buffers: the check above can fail
      expect(new Set(plan.kernels.flatMap((k) => [...argsRead(kernelRoots(k))].map((i) => k.args[i]!.slot))).size).toBeGreaterThanOrEqual(13);
    }
    const data = await Promise.all(xs.map((x) => x.data()));
    const want = data[0]!.map((_, j) => data.reduce((s, d, i) => s + (i + 1) * d[j]!, 0));
    tol(await acc.data(), want);
  });

  /** WebGPU's default limit, which every device allows, and the active backend's (12 on the CPU and SwiftShader). */
  const LIMITS = (): number[] => [MAX_STORAGE_BUFFERS, activeStorageBufferLimit()];

  it('a reduction whose epilogue reads 15 buffers is split (acc + b0 + b1 + ... cannot be cut)', async () => {
    const x = t([6, 9], 60);
    const bs = Array.from({ length: 15 }, (_, i) => t([6], 61 + i));
    const y = bs.reduce((acc, b) => acc.add(b), x.sum(1));
    for (const limit of LIMITS()) {
      const { plan } = schedule([y.node], limit);
      for (const k of plan.kernels) expect(storageBindings(k)).toBeLessThanOrEqual(limit);
    }
    const X = await x.data();
    const B = await Promise.all(bs.map((b) => b.data()));
    const want = Array.from({ length: 6 }, (_, i) => {
      let s = 0;
      for (let j = 0; j < 9; j++) s += X[i * 9 + j]!;
      return B.reduce((acc, b) => acc + b[i]!, s);
    });
    tol(await y.data(), want);
  });

  it('outputs of the same shape up to size-1 dims share a kernel (a matmul and a reshaped consumer)', async () => {
    const x = t([5, 3], 80),
      w = t([3, 4], 81);
    const y = x.matmul(w);
    const z = y
      .reshape([1, 5, 4])
      .mul(2)
      .add(y.reshape([1, 5, 4]).exp());
    const p = await profile(() => W._realizeNodes([y.node, z.node]));
    expect(p.kernels).toBe(1);
    const Y = await y.data();
    tol(
      await z.data(),
      Array.from(Y, (v) => 2 * v + Math.exp(v)),
    );
  });

  it('merging never rebuilds the long chains the scheduler cut (fused depth stays bounded)', async () => {
    const x = t([8], 90);
    let y = x;
    for (let i = 0; i < 3000; i++) y = y.mul(1.0001).add(0.0001);
    const { plan } = schedule([y.node]);
    const depth = (e: Expr, memo = new Map<Expr, number>()): number => {
      if (e.k !== 'op') return 0;
      const m = memo.get(e);
      if (m !== undefined) return m;
      const d = 1 + Math.max(...e.args.map((a) => depth(a, memo)));
      memo.set(e, d);
      return d;
    };
    for (const k of plan.kernels) for (const o of k.outs) expect(depth(o.expr)).toBeLessThanOrEqual(256);
    const X = await x.data();
    const f = c.dtype === 'float32' ? Math.fround : (v: number) => v;
    tol(
      await y.data(),
      Array.from(X, (v) => {
        for (let i = 0; i < 3000; i++) v = f(f(v * f(1.0001)) + f(0.0001));
        return v;
      }),
    );
  });

  it('collapsed Laplacian of the 3-layer tanh MLP of platform.md: 8 kernels, 2 per layer + 2', async () => {
    const { platformData, platformMlp } = await import('../taylor/mlp.js');
    const { f, X } = platformMlp(platformData(), c.dtype);
    W._realizeNodes([X.node]);
    const out = W.laplacian(f, { method: 'collapsed' })(X);
    const p = await profile(() => W._realizeNodes([out.node]));
    // 5 matmuls (tangent channels and the summed top coefficient each fused into their matmul's
    // A loads) + 2 reductions over the directions + the data-independent first-layer sum
    expect(p.kernels).toBeLessThanOrEqual(8);
    const d = await out.data();
    expect(Math.abs(d[0]! - 0.420555924049)).toBeLessThan(c.dtype === 'float64' ? 1e-9 : 2e-4);
  });

  /** Plain-JS reference: rows of A [b][m][k] times B [k][n]. */
  const mm = (A: number[][][], B: number[][]): number[] =>
    A.flatMap((Ab) => Ab.flatMap((row) => B[0]!.map((_, j) => row.reduce((s, a, p) => s + a * B[p]![j]!, 0))));
  const rows = (a: ArrayLike<number>, b: number, m: number, k: number): number[][][] =>
    Array.from({ length: b }, (_, i) => Array.from({ length: m }, (_, r) => Array.from({ length: k }, (_, c) => a[(i * m + r) * k + c]!)));

  it("a matmul's elementwise producer of A is fused into its loads: one kernel", async () => {
    const x = t([12, 9], 60),
      y = t([12, 9], 61),
      w = t([9, 7], 62);
    const { plan } = schedule([x.mul(y).tanh().matmul(w).node]);
    expect(plan.kernels.length).toBe(1);
    const k = plan.kernels[0]!;
    expect(k.type === 'matmul' && k.a === null && k.aPrologue !== null).toBe(true);
    const p = await profile(() => x.mul(y).tanh().matmul(w).data());
    expect(p.kernels).toBe(1);
    const [X, Y, Wm] = [await x.data(), await y.data(), await w.data()];
    const A = Array.from(X, (v, i) => Math.tanh(v * Y[i]!));
    tol(p.result, mm(rows(A, 1, 12, 9), rows(Wm, 1, 9, 7)[0]!));
  });

  it('a fused A producer reads broadcast, transposed and padded views (batched, B shared)', async () => {
    const d = t([1, 5, 6], 63),
      e = t([4, 1, 6], 64),
      u = t([6, 4], 65),
      w = t([7, 3], 66);
    // A[b, i, p] = sin(d[0, i, p] * e[b, 0, p]) + pad(uᵀ)[b, i, p]  over [4, 5, 7], then @ w
    const a = d
      .mul(e)
      .sin()
      .pad([
        [0, 0],
        [0, 0],
        [0, 1],
      ])
      .add(
        u
          .transpose()
          .expandDims(1)
          .broadcastTo([4, 5, 6])
          .pad([
            [0, 0],
            [0, 0],
            [1, 0],
          ]),
      );
    const p = await profile(() => a.matmul(w).data());
    const [D, E, U, Wm] = [await d.data(), await e.data(), await u.data(), await w.data()];
    const A: number[] = [];
    for (let b = 0; b < 4; b++)
      for (let i = 0; i < 5; i++)
        for (let q = 0; q < 7; q++) {
          const left = q < 6 ? Math.sin(D[i * 6 + q]! * E[b * 6 + q]!) : 0;
          const right = q >= 1 ? U[(q - 1) * 4 + b]! : 0;
          A.push(left + right);
        }
    tol(p.result, mm(rows(A, 4, 5, 7), rows(Wm, 1, 7, 3)[0]!));
  });

  it('an A producer that would bind too many buffers gets its own kernel instead', async () => {
    const xs = Array.from({ length: 9 }, (_, i) => t([5, 4], 70 + i));
    const w = t([4, 3], 80);
    const a = xs.reduce((acc, x, i) => acc.add(x.mul(i + 1)));
    // 9 + w + the output: too many for 8, so A is computed first
    const { plan } = schedule([a.matmul(w).node], MAX_STORAGE_BUFFERS);
    for (const k of plan.kernels) expect(storageBindings(k)).toBeLessThanOrEqual(MAX_STORAGE_BUFFERS);
    expect(plan.kernels.length).toBeGreaterThan(1);
    const X = await Promise.all(xs.map((x) => x.data()));
    const A = Array.from({ length: 20 }, (_, j) => X.reduce((s, x, i) => s + (i === 0 ? x[j]! : (i + 1) * x[j]!), 0));
    tol(await a.matmul(w).data(), mm(rows(A, 1, 5, 4), rows(await w.data(), 1, 4, 3)[0]!));
  });

  /** Plain-JS reference: A [m][k] times B given as rows [k][n]. */
  const mat = (a: ArrayLike<number>, m: number, k: number): number[][] => rows(a, 1, m, k)[0]!;

  it("a lazily scaled weight is computed in the matmul's B loads: one kernel", async () => {
    const x = t([10, 64], 100),
      w = t([64, 64], 101);
    const { plan } = schedule([x.matmul(w.mul(0.1)).node]);
    expect(plan.kernels.length).toBe(1);
    const k = plan.kernels[0]!;
    expect(k.type === 'matmul' && k.b === null && k.bPrologue !== null && k.a !== null).toBe(true);
    const p = await profile(() => x.matmul(w.mul(0.1)).data());
    expect(p.kernels).toBe(1);
    const [X, Wm] = [await x.data(), await w.data()];
    tol(
      p.result,
      mm(
        rows(X, 1, 10, 64),
        mat(
          Array.from(Wm, (v) => v * 0.1),
          64,
          64,
        ),
      ),
    );
  });

  it('B loads read through a transpose, batched, with a bias epilogue', async () => {
    const x = t([3, 5, 6], 102),
      v = t([7, 6], 103),
      d = t([7, 6], 104),
      bias = t([7], 105);
    // B[p, j] = (v[j, p] + d[j, p]) * 0.5, read transposed; shared by the 3 batch entries
    const y = () => x.matmul(v.add(d).mul(0.5).transpose()).add(bias);
    const p = await profile(() => y().data());
    expect(p.kernels).toBe(1);
    const [X, V, D, Bi] = [await x.data(), await v.data(), await d.data(), await bias.data()];
    const Bt = Array.from({ length: 6 }, (_, q) => Array.from({ length: 7 }, (_, j) => (V[j * 6 + q]! + D[j * 6 + q]!) * 0.5));
    tol(
      p.result,
      mm(rows(X, 3, 5, 6), Bt).map((s, i) => s + Bi[i % 7]!),
    );
  });

  it('A and B producers are both fused into the loads: one kernel', async () => {
    const x = t([9, 11], 106),
      w = t([11, 13], 107),
      u = t([11, 13], 108);
    const y = () => x.tanh().matmul(w.mul(u).add(0.25));
    const { plan } = schedule([y().node]);
    expect(plan.kernels.length).toBe(1);
    const k = plan.kernels[0]!;
    expect(k.type === 'matmul' && k.a === null && k.b === null && k.aPrologue !== null && k.bPrologue !== null).toBe(true);
    const p = await profile(() => y().data());
    expect(p.kernels).toBe(1);
    const [X, Wm, U] = [await x.data(), await w.data(), await u.data()];
    tol(
      p.result,
      mm(
        rows(
          Array.from(X, (v) => Math.tanh(v)),
          1,
          9,
          11,
        ),
        mat(
          Array.from(Wm, (v, i) => v * U[i]! + 0.25),
          11,
          13,
        ),
      ),
    );
  });

  it('a B producer that would bind too many buffers (with a fused A) gets its own kernel instead', async () => {
    const x = t([5, 4], 110),
      y = t([5, 4], 111),
      z = t([5, 4], 112);
    const ws = Array.from({ length: 5 }, (_, i) => t([4, 3], 113 + i));
    // A reads 3 buffers, B 5: 3 + 5 + the output > 8, so B gets a kernel and A stays fused
    const a = x.mul(y).add(z);
    const b = ws.reduce((acc, w, i) => acc.add(w.mul(i + 1)));
    const { plan } = schedule([a.matmul(b).node], MAX_STORAGE_BUFFERS);
    for (const k of plan.kernels) expect(storageBindings(k)).toBeLessThanOrEqual(MAX_STORAGE_BUFFERS);
    const mk = plan.kernels.find((k) => k.type === 'matmul')!;
    expect(mk.type === 'matmul' && mk.aPrologue !== null && mk.bPrologue === null && mk.b !== null).toBe(true);
    expect(plan.kernels.length).toBe(2);
    const [X, Y, Z] = [await x.data(), await y.data(), await z.data()];
    const Ws = await Promise.all(ws.map((w) => w.data()));
    const A = Array.from(X, (v, i) => v * Y[i]! + Z[i]!);
    const B = Array.from({ length: 12 }, (_, j) => Ws.reduce((s, w, i) => s + (i === 0 ? w[j]! : (i + 1) * w[j]!), 0));
    tol(await a.matmul(b).data(), mm(rows(A, 1, 5, 4), mat(B, 4, 3)));
  });

  it('a matmul epilogue reading more than 6 buffers is split', async () => {
    const x = t([6, 5], 40),
      w = t([5, 7], 41);
    const bs = Array.from({ length: 8 }, (_, i) => t([6, 7], 50 + i));
    const y = bs.reduce((acc, b, i) => acc.add(b.mul(i)), x.matmul(w)).tanh();
    const { plan } = schedule([y.node], MAX_STORAGE_BUFFERS);
    for (const k of plan.kernels) expect(storageBindings(k)).toBeLessThanOrEqual(MAX_STORAGE_BUFFERS);
    expect(plan.kernels.length).toBeGreaterThan(1);
    const [X, Wm] = [await x.data(), await w.data()];
    const B = await Promise.all(bs.map((b) => b.data()));
    const want: number[] = [];
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 7; j++) {
        let s = 0;
        for (let k = 0; k < 5; k++) s += X[i * 5 + k]! * Wm[k * 7 + j]!;
        for (let q = 0; q < 8; q++) s += q * B[q]![i * 7 + j]!;
        want.push(Math.tanh(s));
      }
    tol(await y.data(), want);
  });
});
