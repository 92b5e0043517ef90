// CPU-backend facts: generated loop structure (collapsed dims, one loop per fused chain), the
// compiled-kernel cache, float32 rounding after every op (bit-exact), sequential float32 sums,
// and buffer accounting (bytes allocated, temporaries released, constants uploaded once).

import { beforeAll, describe, expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { compileLoop } from '../../src/backend/cpu/codegen.js';
import type { LoopKernel } from '../../src/schedule/kernel.js';
import { schedule } from '../../src/schedule/scheduler.js';
import * as R from './ref.js';

const loopsIn = (k: LoopKernel): number =>
  (
    compileLoop(k)
      .toString()
      .match(/for \(/g) ?? []
  ).length;
const kernelsOf = (t: W.Tensor) => schedule([t.node]).plan.kernels;

describe('cpu backend internals', () => {
  beforeAll(async () => {
    expect(await W.init({ backend: 'cpu' })).toBe('cpu');
  });
  const rng = new R.Lcg(1001);

  it('a fused chain over a contiguous [4, 5, 6] compiles to a single flat loop', () => {
    const x = R.toTensor(rng.array([4, 5, 6], 'float64'), 'float64');
    const ks = kernelsOf(x.exp().mul(2).add(x).tanh());
    expect(ks.length).toBe(1);
    expect(loopsIn(ks[0] as LoopKernel)).toBe(1);
  });

  it('a transposed operand needs two loops; a broadcast row collapses with its matrix', () => {
    const x = R.toTensor(rng.array([4, 6], 'float64'), 'float64');
    const sq = R.toTensor(rng.array([5, 5], 'float64'), 'float64');
    expect(loopsIn(kernelsOf(sq.add(sq.transpose()))[0] as LoopKernel)).toBe(2);
    const b = R.toTensor(rng.array([6], 'float64'), 'float64');
    expect(loopsIn(kernelsOf(x.add(b))[0] as LoopKernel)).toBe(2);
  });

  it('a concatenation along the outer dim runs in one loop per part, with no mask test left in it, and the right values', async () => {
    const a = R.toTensor(rng.array([2, 3], 'float64'), 'float64');
    const b = R.toTensor(rng.array([3, 3], 'float64'), 'float64');
    const c = W.concat([a.exp(), b.mul(2)], 0);
    const [k] = kernelsOf(c) as LoopKernel[];
    const src = compileLoop(k!).toString();
    expect(loopsIn(k!)).toBe(4); // rows 0..2 read a, rows 2..5 read b: a loop nest (rows, columns) each
    expect(src).not.toMatch(/i0 >=/); // every mask on the outer loop is settled per part
    const [av, bv] = [await a.data(), await b.data()];
    expect(Array.from(await c.data())).toEqual([...Array.from(av, Math.exp), ...Array.from(bv, (v) => v * 2)]);
  });

  it('compiled kernels are cached by structure: new scalar values or data compile nothing', async () => {
    const x = W.ones([10], { dtype: 'float64' });
    await x.mul(2).add(1).data();
    const again = await W.profile(() => W.ones([10], { dtype: 'float64' }).mul(3).add(-4).data());
    expect(again.pipelines).toBe(0);
    expect(again.kernels).toBe(1);
    const other = await W.profile(() => W.ones([11], { dtype: 'float64' }).mul(3).add(-4).data());
    expect(other.pipelines).toBe(1);
  });

  it('float32 rounds after every op, exactly as Math.fround would (no fused multiply-add)', async () => {
    const a = rng.array([200], 'float32'),
      b = rng.array([200], 'float32'),
      c = rng.array([200], 'float32');
    const got = R.toTensor(a, 'float32').mul(R.toTensor(b, 'float32')).add(R.toTensor(c, 'float32')).exp().div(3);
    const f = Math.fround;
    const want = R.nd(
      [200],
      Array.from(a.data, (v, i) => f(f(Math.exp(f(f(v * b.data[i]!) + c.data[i]!))) / f(3))),
    );
    await R.expectExact(got, want);
  });

  it('float32 sums accumulate sequentially in float32', async () => {
    const v = [1, ...new Array(1000).fill(Math.fround(1e-8))];
    expect(Array.from(await W.tensor(v).sum().data())).toEqual([1]);
    expect(Array.from(await W.tensor(v, { dtype: 'float64' }).sum().data())[0]).toBeGreaterThan(1);
  });

  it('a fused chain allocates only its output; temporaries are released after their last use', async () => {
    const b = W._backend();
    const x = W.ones([1000], { dtype: 'float64' });
    const p = await W.profile(() => x.exp().mul(2).sin().add(1).sqrt().data());
    expect(p.bytesAllocated).toBe(8000);
    const y = R.toTensor(rng.array([50, 20], 'float64'), 'float64');
    const m = y.exp(); // read twice, once reshaped: materialized as a temporary
    const z = m
      .reshape([20, 50])
      .transpose()
      .add(m.reshape([1000]).reshape([50, 20]));
    // synchronous realization: no finalizer can run between the two readings of liveBytes
    const before = { ...b.stats };
    W._realizeNodes([z.node]);
    expect(b.stats.kernels - before.kernels).toBe(2);
    expect(b.stats.bytesAllocated - before.bytesAllocated).toBe(16000);
    // the temporary went back; what stays is the constant y (uploaded) and z's output
    expect(b.stats.liveBytes - before.liveBytes).toBe(16000);
  });

  it('a constant is uploaded once, however many plans read it', async () => {
    const b = W._backend();
    const x = W.ones([50], { dtype: 'float64' });
    const before = b.stats.uploads;
    await x.exp().data();
    await x.sin().data();
    await x.add(x).data();
    expect(b.stats.uploads - before).toBe(1);
  });

  it('matmul reaches the same numbers from packed (transposed) and row-major operands', async () => {
    const a = rng.array([6, 7], 'float64'),
      bm = rng.array([7, 5], 'float64');
    const A = R.toTensor(a, 'float64'),
      B = R.toTensor(bm, 'float64');
    const direct = await A.matmul(B).data();
    const viaT = await R.toTensor(R.transpose(a), 'float64')
      .transpose()
      .matmul(R.toTensor(R.transpose(bm), 'float64').transpose())
      .data();
    expect(Array.from(viaT)).toEqual(Array.from(direct));
  });
});
