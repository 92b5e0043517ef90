// Graph lifetime: a realized tensor drops its graph, unreachable graphs are collected, a 100k-op
// loop does not grow memory, and dispose() frees a value and makes later use a clear error.

import { expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { ArgumentError } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { gc, liveBytesAfterCollection } from '../helpers/gc.js';
import * as R from './ref.js';

/** Full GC, then a few turns of the event loop so FinalizationRegistry callbacks run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}

describeBackends('graph lifetime and dispose', (c) => {
  const dtype = c.dtype;

  it('a realized tensor cuts its graph: inputs empty, intermediates collectable', async () => {
    const x = W.ones([4], { dtype });
    let mid: W.Tensor | null = x.exp().mul(3);
    const ref = new WeakRef(mid.node);
    const y = mid.sin().add(1);
    mid = null;
    expect(y.node.inputs.length).toBeGreaterThan(0);
    await y.data();
    expect(y.node.inputs).toEqual([]);
    await collect();
    expect(ref.deref()).toBeUndefined();
    await R.expectClose(y, R.nd([4], new Array(4).fill(Math.sin(3 * Math.E) + 1)), c);
  });

  it('100k small ops built and read in a loop keep heap and backend memory bounded', async () => {
    const b = W._backend();
    let acc = W.zeros([8], { dtype });
    const step = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        acc = acc.add(1).mul(0.5);
        if (i % 50 === 49) await acc.data(); // realize every 100 ops
      }
      await acc.data();
    };
    await step(10_000); // warm up caches
    await collect();
    const heap0 = process.memoryUsage().heapUsed;
    const live0 = b.stats.liveBytes;
    await step(40_000); // 80k more ops (100k in all)
    await collect();
    const heap1 = process.memoryUsage().heapUsed;
    const live1 = b.stats.liveBytes;
    // an uncut graph of 80k nodes (each with a scalar constant) would hold well over 10 MB
    expect(heap1 - heap0).toBeLessThan(4 * 1024 * 1024);
    expect(live1 - live0).toBeLessThan(64 * 1024);
    // x_{n+1} = (x_n + 1) / 2 converges to 1
    expect(Array.from(await acc.data())).toEqual(new Array(8).fill(1));
  });

  it('a lazy chain of 20k ops realizes without stack overflow', async () => {
    let t = W.zeros([2], { dtype });
    for (let i = 0; i < 20_000; i++) t = t.add(1);
    expect(Array.from(await t.data())).toEqual([20_000, 20_000]);
  });

  it('dispose(): data(), methods and functions on a disposed tensor raise ArgumentError', async () => {
    const x = W.ones([3], { dtype });
    await x.add(1).data();
    x.dispose();
    await expect(x.data()).rejects.toBeInstanceOf(ArgumentError);
    await expect(x.data()).rejects.toThrow(/disposed/);
    expect(() => x.add(1)).toThrow(ArgumentError);
    expect(() => x.add(1)).toThrow(/add.*disposed/);
    expect(() => W.mul(2, x)).toThrow(/mul.*disposed/);
    expect(() => x.exp()).toThrow(/exp.*disposed/);
    expect(() => x.sum()).toThrow(/sum.*disposed/);
    expect(() => x.reshape([3, 1])).toThrow(/reshape.*disposed/);
    expect(() => W.matmul(x, x)).toThrow(/matmul.*disposed/);
    expect(() => W.concat([x, x])).toThrow(/concat.*disposed/);
    expect(() => x.dispose()).not.toThrow(); // disposing twice is harmless
  });

  it('dispose() frees a realized value immediately', async () => {
    const b = W._backend();
    const x = W.ones([1000], { dtype }).mul(2);
    await x.data();
    const live = b.stats.liveBytes;
    x.dispose();
    expect(b.stats.liveBytes).toBeLessThanOrEqual(live - 1000 * (dtype === 'float32' ? 4 : 8));
  });

  it('a tensor built from a value disposed before it was read raises a clear error', async () => {
    const x = W.ones([3], { dtype });
    const mid = x.add(1); // unrealized
    const y = mid.mul(2);
    mid.dispose();
    await expect(y.data()).rejects.toBeInstanceOf(ArgumentError);
    await expect(y.data()).rejects.toThrow(/disposed/);
  });

  it('tensors computed before an input was disposed stay readable', async () => {
    const x = W.ones([3], { dtype }).mul(4);
    const y = x.sqrt();
    await y.data();
    x.dispose();
    expect(Array.from(await y.data())).toEqual([2, 2, 2]);
    expect(Array.from(await y.add(1).data())).toEqual([3, 3, 3]);
  });

  it('dispose() of one of two tensors sharing a buffer keeps the other alive, also after GC', async () => {
    const b = W._backend();
    const x = W.ones([1000], { dtype });
    let u: W.Tensor | null = x.exp().mul(2);
    const v = x.exp().mul(2); // the same expression: CSE gives both one buffer
    W._realizeNodes([u.node, v.node]);
    const live = await liveBytesAfterCollection(); // earlier tests' garbage goes first, all of it
    u.dispose();
    u = null;
    await collect();
    expect(b.stats.liveBytes).toBeGreaterThanOrEqual(live); // v still owns the shared buffer
    expect((await v.data())[999]).toBeCloseTo(2 * Math.E, 5);
  });

  it('a read started before dispose() returns the value, even if the buffer is reused at once', async () => {
    const x = W.arange(0, 64, 1, { dtype });
    const y = x.mul(3);
    await W.evaluate(y);
    const pending = y.data();
    y.dispose();
    const z = x.add(1000); // same size: may take y's pooled buffer
    await z.data();
    const got = await pending;
    expect(Array.from(got)).toEqual(Array.from({ length: 64 }, (_, i) => 3 * i));
  });
});
