// The row-sum fold (src/schedule/row-sums.ts): a sum over the rows of a product's B operand is
// one more row of that product. Checked on every backend against plain-JS float64 references:
// the bias gradient of a dense layer, of a layer over stacked Taylor channels (the sum covers
// one channel's rows of B), and sums that must not fold.

import { afterEach, expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { schedule } from '../../src/schedule/scheduler.js';
import type { Kernel } from '../../src/schedule/kernel.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, lcgTensor } from '../webgpu/util.js';

describeBackends('row sums folded into products', (c) => {
  const t = (shape: number[], seed: number) => {
    const x = lcgTensor(shape, seed, c.dtype);
    W._realizeNodes([x.node]);
    return x;
  };
  const tol = (got: ArrayLike<number>, want: ArrayLike<number>) => expectClose(got, want, c.rtol, c.atol);
  afterEach(() => void W._setStackedChannels('auto'));
  const reductions = (ks: readonly Kernel[]): number => ks.filter((k) => k.type === 'loop' && k.redShape.length > 0).length;
  const blockOutputs = (ks: readonly Kernel[]): number[][] =>
    ks.flatMap((k) => (k.type === 'matmul' ? k.outs.filter((o) => o.from !== undefined).map((o) => [o.from!, o.prefix!]) : []));

  it('Xᵀ G and the sum of G over its rows (a weight and a bias gradient): one product, the sum its last row', async () => {
    const [R, K, N] = [12, 5, 3];
    const x = t([R, K], 1);
    const g = t([R, N], 2).tanh(); // computed, not a buffer: the sum and the product read it in place
    const wGrad = x.transpose().matmul(g);
    const bGrad = g.sum(0);
    const ks = schedule([wGrad.node, bGrad.node]).plan.kernels;
    expect(ks.filter((k) => k.type === 'matmul').length).toBe(1);
    expect(reductions(ks)).toBe(0);
    expect(blockOutputs(ks)).toEqual([[K * N, (K + 1) * N]]);
    W._realizeNodes([wGrad.node, bGrad.node]);
    const [X, G0] = [await x.data(), await t([R, N], 2).data()];
    const G = Array.from(G0, Math.tanh);
    const wantW = Array.from({ length: K * N }, (_, e) => {
      const [i, j] = [Math.floor(e / N), e % N];
      let s = 0;
      for (let r = 0; r < R; r++) s += X[r * K + i]! * G[r * N + j]!;
      return s;
    });
    const wantB = Array.from({ length: N }, (_, j) => {
      let s = 0;
      for (let r = 0; r < R; r++) s += G[r * N + j]!;
      return s;
    });
    tol(await wGrad.data(), wantW);
    tol(await bGrad.data(), wantB);
  });

  it("products large enough for the CPU's WebAssembly kernel (A packed block by block, both threads), and rows not a multiple of its panels", async () => {
    for (const [R, K, N] of [
      [256, 64, 64],
      [300, 63, 40],
    ] as const) {
      const x = t([R, K], 11);
      const g = t([R, N], 12).tanh();
      const [wGrad, bGrad] = [x.transpose().matmul(g), g.sum(0)];
      expect(blockOutputs(schedule([wGrad.node, bGrad.node]).plan.kernels)).toEqual([[K * N, (K + 1) * N]]);
      W._realizeNodes([wGrad.node, bGrad.node]);
      const [X, G] = [await x.data(), Array.from(await t([R, N], 12).data(), Math.tanh)];
      // float64 references, each with the magnitude Σ|terms| its rounding error scales with
      const [wantW, sizeW] = [new Float64Array(K * N), new Float64Array(K * N)];
      const [wantB, sizeB] = [new Float64Array(N), new Float64Array(N)];
      for (let r = 0; r < R; r++)
        for (let j = 0; j < N; j++) {
          wantB[j]! += G[r * N + j]!;
          sizeB[j]! += Math.abs(G[r * N + j]!);
          for (let i = 0; i < K; i++) {
            wantW[i * N + j]! += X[r * K + i]! * G[r * N + j]!;
            sizeW[i * N + j]! += Math.abs(X[r * K + i]! * G[r * N + j]!);
          }
        }
      // a sum of R rounded terms is within R·ε·Σ|terms| (plus the inputs' own rounding, in rtol)
      const eps = c.dtype === 'float32' ? 2 ** -24 : 2 ** -53;
      const within = (got: ArrayLike<number>, want: Float64Array, size: Float64Array, what: string) => {
        const bad = Array.from(got).flatMap((v, i) =>
          Math.abs(v - want[i]!) <= c.rtol * Math.abs(want[i]!) + 2 * R * eps * size[i]! ? [] : [`${what}[${i}] ${v} vs ${want[i]}`],
        );
        expect(bad.slice(0, 4)).toEqual([]);
      };
      within(await wGrad.data(), wantW, sizeW, 'weight gradient');
      within(await bGrad.data(), wantB, sizeB, 'bias gradient');
    }
  });

  it('the gradient of a dense layer: one kernel less, and the bias gradient equals finite differences of the loss', async () => {
    const [R, K, N] = [16, 6, 4];
    const x = t([R, K], 3),
      w = t([K, N], 4),
      b = t([N], 5);
    const loss = ([wq, bq]: W.Tensor[]) => x.matmul(wq!).add(bq!).tanh().square().mean();
    const [gw, gb] = W.grad(loss)([w, b]) as W.Tensor[];
    const ks = schedule([gw!.node, gb!.node]).plan.kernels;
    expect(reductions(ks)).toBe(0); // the bias gradient is no kernel of its own
    expect(blockOutputs(ks).length).toBe(1);
    const [X, Wv, B] = [await x.data(), await w.data(), await b.data()];
    const f = (bias: readonly number[]): number => {
      let s = 0;
      for (let r = 0; r < R; r++)
        for (let j = 0; j < N; j++) {
          let z = bias[j]!;
          for (let k = 0; k < K; k++) z += X[r * K + k]! * Wv[k * N + j]!;
          s += Math.tanh(z) ** 2;
        }
      return s / (R * N);
    };
    const h = 1e-6;
    const fd = Array.from({ length: N }, (_, j) => {
      const up = Array.from(B),
        dn = Array.from(B);
      up[j]! += h;
      dn[j]! -= h;
      return (f(up) - f(dn)) / (2 * h);
    });
    expectClose(await gb!.data(), fd, c.dtype === 'float64' ? 1e-7 : 2e-4, c.dtype === 'float64' ? 1e-9 : 2e-5, 'bias gradient');
  });

  it("over stacked channels the sum covers the primal rows of B only: the training step of a tanh MLP, each bias gradient folded, equals nested AD's", async () => {
    const { layeredTanhMlp } = await import('../../bench/mlp.js');
    const L = 3;
    const { params, apply } = layeredTanhMlp(L, { dtype: c.dtype });
    const X = t([16, 4], 6);
    const loss = (q: W.Tensor[]) => {
      const r = W.laplacian(apply(q))(X).sub(1);
      return r.mul(r).mean();
    };
    W._setStackedChannels(true);
    const stacked = W.grad(loss)(params) as W.Tensor[];
    const ks = schedule(stacked.map((g) => g.node)).plan.kernels;
    // every hidden layer's bias gradient is the last row of its weight-gradient product
    expect(blockOutputs(ks).length).toBe(L);
    W._setStackedChannels(false);
    const nested = W.grad((q: W.Tensor[]) => {
      const r = W.laplacian(apply(q), { method: 'nested' })(X).sub(1);
      return r.mul(r).mean();
    })(params) as W.Tensor[];
    for (let i = 0; i < params.length; i++) tol(await stacked[i]!.data(), await nested[i]!.data());
  });

  it("sums that are not over the rows of a product's B stay reductions (over columns; over the rows of A's source)", async () => {
    const x = t([8, 5], 7);
    const g = t([8, 3], 8).exp();
    const p = x.transpose().matmul(g);
    const cases: [string, W.Tensor][] = [
      ['over columns', g.sum(1)],
      ["over the rows of A's source", x.sum(0)],
    ];
    for (const [what, s] of cases) {
      const ks = schedule([p.node, s.node]).plan.kernels;
      expect(blockOutputs(ks), what).toEqual([]);
      W._realizeNodes([p.node, s.node]);
    }
    const G = Array.from(await t([8, 3], 8).data(), Math.exp);
    tol(
      await cases[0]![1].data(),
      Array.from({ length: 8 }, (_, r) => G[r * 3]! + G[r * 3 + 1]! + G[r * 3 + 2]!),
    );
  });

  it('a sum over the rows of B that A is computed from stays a reduction (folding it would make a cycle; fuzz seed 122, graph #34)', async () => {
    // P = (Y + Σ_rows X) @ X: the fold would compute Σ_rows X as a row of P, whose A needs it; the
    // scheduler looped until the heap ran out
    const [M, K, N] = [3, 4, 2];
    const x = t([K, N], 9);
    const y = t([M, N], 10);
    const s = x.sum(0); // [N]
    const a = y.matmul(x.transpose()).add(s.sum().reshape([1, 1])); // [M, K], built from the sum
    const p = a.matmul(x);
    expect(blockOutputs(schedule([p.node]).plan.kernels)).toEqual([]);
    const [X, Y] = [Array.from(await x.data()), Array.from(await y.data())];
    const total = X.reduce((u, v) => u + v, 0);
    const A = Array.from({ length: M * K }, (_, i) => {
      const [r, k] = [Math.floor(i / K), i % K];
      return Y.slice(r * N, r * N + N).reduce((u, v, j) => u + v * X[k * N + j]!, 0) + total;
    });
    const want = Array.from({ length: M * N }, (_, i) => {
      const [r, col] = [Math.floor(i / N), i % N];
      return A.slice(r * K, r * K + K).reduce((u, v, k) => u + v * X[k * N + col]!, 0);
    });
    tol(await p.data(), want);
  });
});
