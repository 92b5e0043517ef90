// The CPU backend's reuse of freed arrays (src/backend/cpu/pool.ts, used by cpu.ts): arrays are
// reused by dtype and length up to the pool's capacity, a reused array's old contents never show
// in a result, and an uploaded array (which a constant node still owns) is never reused.

import { describe, expect, it } from 'vitest';
import type { CpuBackend } from '../../src/backend/cpu/cpu.js';
import { HostArrayPool } from '../../src/backend/cpu/pool.js';
import * as W from '../../src/internal.js';
import { benchmarkMlp } from '../../bench/mlp.js';

describe('HostArrayPool', () => {
  it('gives back a freed array of the same dtype and length, within its capacity', () => {
    const pool = new HostArrayPool(100 * 8);
    const a = new Float64Array(10);
    pool.put(a);
    expect(pool.take('float32', 10)).toBeNull(); // same length, other dtype
    expect(pool.take('float64', 11)).toBeNull();
    expect(pool.take('float64', 10)).toBe(a);
    expect(pool.take('float64', 10)).toBeNull(); // taken once
    pool.put(new Float64Array(60));
    pool.put(new Float64Array(60)); // over the 100-element capacity: left to the collector
    expect(pool.bytes).toBe(60 * 8);
    expect(pool.take('float64', 60)).not.toBeNull();
    expect(pool.take('float64', 60)).toBeNull();
    expect(pool.bytes).toBe(0);
  });
});

describe('the CPU backend reuses freed arrays', () => {
  it('results are right when outputs land in arrays that held other values', async () => {
    await W.init({ backend: 'cpu' });
    for (const dtype of ['float32', 'float64'] as const) {
      const x = W.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], dtype });
      // fill the pool with arrays of these sizes holding NaN and large values
      for (let i = 0; i < 3; i++) {
        const junk = [x.mul(Number.NaN), x.mul(1e30), x.sum(1).mul(Number.NaN)];
        await W.evaluate(junk);
        for (const j of junk) j.dispose();
      }
      expect(Array.from(await x.exp().log().add(x).data())).toEqual([2, 4, 6, 8, 10, 12].map((v) => expect.closeTo(v, 5)));
      expect(Array.from(await x.sum(1).data())).toEqual([6, 15]);
      expect(Array.from(await x.matmul(x.transpose()).data())).toEqual([14, 32, 32, 77]);
    }
  });

  it('an uploaded array is never reused (a constant node still owns it); a computed one is', async () => {
    await W.init({ backend: 'cpu' });
    const b = W._backend() as CpuBackend;
    const before = b.pooledBytes;
    const up = b.upload(Float64Array.from([1, 2, 3, 4, 5]), 'float64');
    up.release();
    expect(b.pooledBytes).toBe(before);
    // x.exp() is an intermediate of x.exp().sum(): freed after the sum, into the pool
    const x = W.tensor(
      Float64Array.from({ length: 1000 }, (_, i) => i / 1000),
      { shape: [1000], dtype: 'float64' },
    );
    await x.data();
    const s = x.exp().add(1).sum();
    await s.data();
    expect(b.pooledBytes).toBeGreaterThanOrEqual(before);
    const y = x.mul(2);
    await y.data();
    y.dispose(); // a result, once disposed, goes to the pool too
    expect(b.pooledBytes).toBeGreaterThanOrEqual(before + 1000 * 8);
  });

  it('a loop that disposes its results allocates nothing new after its first calls', async () => {
    await W.init({ backend: 'cpu' });
    const b = W._backend() as CpuBackend;
    const { f, X } = benchmarkMlp('float64', 4, 8, 32);
    const lap = W.laplacian(f);
    let allocatedAt3 = 0;
    for (let i = 0; i < 8; i++) {
      const r = lap(X);
      await r.data();
      r.dispose();
      if (i === 3) allocatedAt3 = b.stats.bytesAllocated;
    }
    expect(allocatedAt3).toBeGreaterThan(0);
    expect(b.stats.bytesAllocated).toBe(allocatedAt3);
  });
});
