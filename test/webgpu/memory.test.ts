// Buffer pool: a loop of training-style steps (matmuls, elementwise updates, a readback each step)
// keeps GPU memory flat — no fresh allocation and no growth of live bytes after the first steps —
// and buffers of disposed tensors return to the pool.

import { expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { jit, tensor } from '../../src/index.js';
import { describeWebGPU } from './adapter.js';
import { gpu, lcg } from './util.js';

const t = (shape: number[], seed: number, scale = 1) =>
  tensor(
    lcg(
      shape.reduce((a, b) => a * b, 1),
      seed,
      -scale,
      scale,
    ),
    { shape },
  );

/** One step of least squares by gradient descent: w - lr Xᵀ(X w - Y) / n, and the loss. */
function step(w: W.Tensor, X: W.Tensor, Y: W.Tensor): [W.Tensor, W.Tensor] {
  const r = X.matmul(w).sub(Y);
  const g = X.transpose()
    .matmul(r)
    .mul(1 / X.shape[0]!);
  return [w.sub(g.mul(0.05)), r.mul(r).mean()];
}

describeWebGPU('GPU memory over training-style loops', () => {
  it('200 steps: bytes allocated and live bytes stay flat after warm-up', async () => {
    const b = gpu();
    const X = t([128, 32], 1),
      Y = t([128, 8], 2);
    let w = t([32, 8], 3, 0.1);
    const samples: { step: number; allocated: number; live: number; pipelines: number }[] = [];
    let first = Infinity,
      last = 0;
    for (let i = 0; i < 200; i++) {
      const [w2, loss] = step(w, X, Y);
      W._realizeNodes([w2.node, loss.node]);
      const l = await loss.item();
      if (i === 0) first = l;
      last = l;
      loss.dispose();
      w.dispose();
      w = w2;
      if (i === 10 || i === 199) samples.push({ step: i, allocated: b.stats.bytesAllocated, live: b.stats.liveBytes, pipelines: b.stats.pipelines });
    }
    expect(samples[1]!.allocated).toBe(samples[0]!.allocated);
    expect(samples[1]!.live).toBe(samples[0]!.live);
    expect(samples[1]!.pipelines).toBe(samples[0]!.pipelines);
    expect(last).toBeLessThan(first); // the loop really trains
  });

  it('jit-ed steps: 100 replays allocate nothing', async () => {
    const b = gpu();
    const f = jit(step);
    const X = t([64, 16], 4),
      Y = t([64, 4], 5);
    let w = t([16, 4], 6, 0.1);
    let allocatedAt5 = 0;
    for (let i = 0; i < 100; i++) {
      const [w2, loss] = f(w, X, Y);
      await loss.item();
      loss.dispose();
      w.dispose();
      w = w2;
      if (i === 5) allocatedAt5 = b.stats.bytesAllocated;
    }
    expect(b.stats.bytesAllocated).toBe(allocatedAt5);
    expect(f.stats.traces).toBe(1);
  });

  it('disposed tensors return their buffers; live bytes count only what is held', async () => {
    const b = gpu();
    const live0 = b.stats.liveBytes;
    const xs = Array.from({ length: 10 }, (_, i) => t([1000], 10 + i).exp());
    W._realizeNodes(xs.map((x) => x.node));
    expect(b.stats.liveBytes - live0).toBeGreaterThanOrEqual(10 * 4000);
    const pooled0 = b.pooledBytes;
    for (const x of xs) x.dispose();
    expect(b.stats.liveBytes - live0).toBeLessThanOrEqual(10 * 4096); // the uploaded inputs stay (their nodes are alive)
    expect(b.pooledBytes).toBeGreaterThan(pooled0);
    const allocated = b.stats.bytesAllocated;
    const ys = Array.from({ length: 10 }, (_, i) => t([1000], 10 + i).exp());
    W._realizeNodes(ys.map((y) => y.node));
    // the ten outputs reuse the ten freed buffers (the new inputs need fresh uploads)
    expect(b.stats.bytesAllocated - allocated).toBeLessThanOrEqual(10 * 4096);
  });
});
