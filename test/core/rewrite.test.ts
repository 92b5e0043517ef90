// Algebraic rewrites (src/schedule/rewrite.ts): x * 1, x / 1, x - 0, x + (-0) and -(-x) vanish from
// the kernels, values stay exact for every float (NaN, infinities, signed zeros); a batched
// product summed over its batch is one product with the batch folded into K (values against a
// plain-JS sum of products).

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

/** Deterministic values in [-1, 1) (no RNG of the library under test). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 37 + seed * 11) % 23) - 11.5) / 11.5);
}

/** sum over the leading `batch` entries of P_b @ Q_b, P_b [m, k] at P[b*m*k], Q_b [k, n]: plain JS. */
function sumOfProducts(p: readonly number[], q: readonly number[], batch: number, m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += p[b * m * k + i * k + t]! * q[b * k * n + t * n + j]!;
        out[i * n + j]! += s;
      }
  return out;
}

describeBackends('a batched product summed over its batch', (c) => {
  const matmuls = (t: W.Tensor) => schedule([t.node]).plan.kernels.filter((k) => k.type === 'matmul');

  it('is one 2-D product over the batch folded into K: no batched product, no reduction kernel', async () => {
    const [B, m, k, n] = [5, 3, 4, 6];
    const pv = values(B * m * k, 1),
      qv = values(B * k * n, 2);
    // P read through a transpose (the weight-gradient form: Xᵀ of each channel)
    const pt = W.tensor(pv, { dtype: c.dtype }).reshape([B, m, k]).permute([0, 2, 1]).mul(2).permute([0, 2, 1]);
    const q = W.tensor(qv, { dtype: c.dtype }).reshape([B, k, n]).exp();
    const y = pt.matmul(q).sum(0);
    // exp's loop may stay a kernel of its own (B loads); what must go is the reduction
    const reductions = schedule([y.node]).plan.kernels.filter((kk) => kk.type === 'loop' && kk.redShape.length > 0);
    expect(reductions).toEqual([]);
    expect(matmuls(y).map((mm) => [mm.batch, mm.m, mm.n, mm.k])).toEqual([[1, m, n, B * k]]);
    const want = sumOfProducts(
      pv.map((v) => 2 * v),
      qv.map(Math.exp),
      B,
      m,
      k,
      n,
    );
    const got = await y.data();
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(c.atol + c.rtol * 4 * Math.abs(w)));
  });

  it('two batch axes fold when both are summed; one of them alone is a batched product and a reduction', async () => {
    const [B1, B2, m, k, n] = [2, 3, 4, 5, 3];
    const pv = values(B1 * B2 * m * k, 3),
      qv = values(B1 * B2 * k * n, 4);
    const p = W.tensor(pv, { dtype: c.dtype }).reshape([B1, B2, m, k]);
    const q = W.tensor(qv, { dtype: c.dtype }).reshape([B1, B2, k, n]);
    const both = p.matmul(q).sum([0, 1]);
    expect(matmuls(both).map((mm) => [mm.batch, mm.k])).toEqual([[1, B1 * B2 * k]]);
    const want = sumOfProducts(pv, qv, B1 * B2, m, k, n);
    const got = await both.data();
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(c.atol + c.rtol * 4 * Math.abs(w)));
    const first = p.matmul(q).sum(0);
    expect(matmuls(first).map((mm) => mm.batch)).toEqual([B1 * B2]);
    const gotFirst = await first.data();
    for (let b2 = 0; b2 < B2; b2++) {
      // sum over b1 of the (b1, b2) products
      const pb = Array.from({ length: B1 }, (_, b1) => pv.slice((b1 * B2 + b2) * m * k, (b1 * B2 + b2 + 1) * m * k)).flat();
      const qb = Array.from({ length: B1 }, (_, b1) => qv.slice((b1 * B2 + b2) * k * n, (b1 * B2 + b2 + 1) * k * n)).flat();
      sumOfProducts(pb, qb, B1, m, k, n).forEach((w, i) =>
        expect(Math.abs(gotFirst[b2 * m * n + i]! - w)).toBeLessThanOrEqual(c.atol + c.rtol * 4 * Math.abs(w)),
      );
    }
  });

  it('the gradient of a weight broadcast over a batch is one product (the transpose of the broadcast folds)', async () => {
    const [B, r, k, n] = [4, 6, 3, 5];
    const xv = values(B * r * k, 5),
      wv = values(k * n, 6);
    const x = W.tensor(xv, { dtype: c.dtype }).reshape([B, r, k]);
    const gw = W.grad((w: W.Tensor) =>
      x
        .matmul(w.broadcastTo([B, k, n]))
        .tanh()
        .sum(),
    )(W.tensor(wv, { dtype: c.dtype }).reshape([k, n]));
    // the forward product stays batched; the weight gradient is one [k, B·r] @ [B·r, n] product, no reduction
    expect(matmuls(gw).map((mm) => [mm.batch, mm.m, mm.n, mm.k])).toEqual([
      [B, r, n, k],
      [1, k, n, B * r],
    ]);
    expect(schedule([gw.node]).plan.kernels.filter((kk) => kk.type === 'loop' && kk.redShape.length > 0)).toEqual([]);
    // dL/dW = Σ_b X_bᵀ (1 − tanh²(X_b W))
    const xt: number[] = [],
      g: number[] = [];
    for (let b = 0; b < B; b++)
      for (let i = 0; i < r; i++)
        for (let j = 0; j < n; j++) {
          let z = 0;
          for (let t = 0; t < k; t++) z += xv[b * r * k + i * k + t]! * wv[t * n + j]!;
          g[b * r * n + i * n + j] = 1 - Math.tanh(z) ** 2;
        }
    for (let b = 0; b < B; b++) for (let t = 0; t < k; t++) for (let i = 0; i < r; i++) xt[b * k * r + t * r + i] = xv[b * r * k + i * k + t]!;
    const want = sumOfProducts(xt, g, B, k, r, n);
    const got = await gw.data();
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(c.atol + c.rtol * 8 * Math.abs(w)));
  });
});

describeBackends('a product over K = 1', (c) => {
  it('is the outer product, elementwise: no matmul kernel, values of plain JS', async () => {
    const [B, m, n] = [2, 3, 4];
    const pv = values(B * m, 7),
      qv = values(B * n, 8);
    const p = W.tensor(pv, { dtype: c.dtype }).reshape([B, m, 1]);
    const q = W.tensor(qv, { dtype: c.dtype }).reshape([B, 1, n]);
    const y = p.matmul(q).sin();
    expect(schedule([y.node]).plan.kernels.map((k) => k.type)).toEqual(['loop']);
    const got = await y.data();
    for (let b = 0; b < B; b++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          const want = Math.sin(pv[b * m + i]! * qv[b * n + j]!);
          expect(Math.abs(got[(b * m + i) * n + j]! - want)).toBeLessThanOrEqual(c.atol + c.rtol * Math.abs(want));
        }
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
      // a product over K = 1 adds its one term to a zero accumulator, as the product kernel does: -0 · 1 is +0
      const outer = await x
        .reshape([special.length, 1])
        .matmul(W.tensor([1], { dtype }).reshape([1, 1]))
        .data();
      expect(Array.from(outer).map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(special.map((v) => (Object.is(v, -0) ? '0' : String(v))));
      got.forEach((v, i) => expect(Object.is(v, special[i])).toBe(true));
    });
  }
});
