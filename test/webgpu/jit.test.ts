// jit: one trace per input signature, then replays of the cached plan; on WebGPU the second call
// creates no pipeline and allocates no buffer (everything comes from the pipeline cache and the pool).

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { grad, jit, profile, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { throwsWith } from '../helpers/errors.js';
import { describeWebGPU } from './adapter.js';
import { expectClose, lcg } from './util.js';

const layer = (x: W.Tensor, w: W.Tensor, b: W.Tensor) => x.matmul(w).add(b).tanh().mul(x.sum(1, true)).sum(0);

describeBackends('jit', (c) => {
  const t = (shape: number[], seed: number) =>
    tensor(
      lcg(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
      { shape, dtype: c.dtype },
    );
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => expectClose(a, b, c.rtol, c.atol);

  it('traces once per signature and replays with new inputs', async () => {
    const f = jit(layer);
    const w = t([6, 5], 1),
      b = t([5], 2);
    for (let i = 0; i < 3; i++) {
      const x = t([4, 6], 10 + i);
      close(await f(x, w, b).data(), await layer(x, w, b).data());
    }
    expect(f.stats).toEqual({ traces: 1, replays: 2 });
    const x = t([7, 6], 20); // new shape: a new trace
    close(await f(x, w, b).data(), await layer(x, w, b).data());
    expect(f.stats.traces).toBe(2);
  });

  it('pytrees in and out, numbers as static arguments, aliased arguments', async () => {
    const f = jit((p: { w: W.Tensor; b: W.Tensor }, x: W.Tensor, s: number) => [x.matmul(p.w).add(p.b).mul(s), { x }]);
    const p = { w: t([3, 2], 3), b: t([2], 4) };
    const x = t([5, 3], 5);
    const [y, rest] = f(p, x, 2) as [W.Tensor, { x: W.Tensor }];
    close(await y.data(), await x.matmul(p.w).add(p.b).mul(2).data());
    expect(rest.x).toBeInstanceOf(W.Tensor);
    close(await rest.x.data(), await x.data());
    const [y3] = f(p, x, 3) as [W.Tensor];
    close(await y3.data(), await x.matmul(p.w).add(p.b).mul(3).data());
    expect(f.stats.traces).toBe(2);
    const g = jit((a: W.Tensor, b: W.Tensor) => a.add(b.mul(2)));
    const u = t([4], 6),
      v = t([4], 7);
    close(await g(u, u).data(), await u.mul(3).data());
    close(await g(u, v).data(), await u.add(v.mul(2)).data()); // not the replay of g(u, u)
    expect(g.stats.traces).toBe(2);
  });

  it('numbers at the indices of { dynamic } are 0-d tensors: a new value replays, not retraces', async () => {
    const step = (x: W.Tensor, lr: W.TensorLike, k: number) => x.sub(x.sin().mul(lr)).mul(k);
    const f = jit(step, { dynamic: [1] });
    const x = t([6], 12);
    for (const lr of [0.1, 0.25, -3]) close(await f(x, lr, 2).data(), await step(x, lr, 2).data());
    close(await f(x, t([], 13), 2).data(), await step(x, t([], 13), 2).data()); // a 0-d tensor there is dynamic too
    expect(f.stats).toEqual({ traces: 1, replays: 3 });
    await f(x, 0.5, 3).data(); // k stays static
    expect(f.stats.traces).toBe(2);
    // the number takes the tensor arguments' dtype; mixed dtypes are ambiguous
    expect(f(x, 0.5, 1).dtype).toBe(c.dtype);
    if (c.dtype === 'float64') {
      const g = jit((a: W.Tensor, b: W.Tensor, s: W.TensorLike) => a.add(b.astype('float64')).mul(s), { dynamic: [2] });
      throwsWith(() => g(x, tensor([1, 2, 3, 4, 5, 6]), 2), W.ArgumentError, 'jit', 'dynamic argument 2', 'mix dtypes');
    }
    throwsWith(() => jit(step, { dynamic: [-1] as never }), W.ArgumentError, "option 'dynamic'");
    // @ts-expect-error f's parameter 2 is a number: it cannot receive a tensor
    jit(step, { dynamic: [2] });
  });

  it('transformations see through jit (grad of a jit-ed function)', async () => {
    const f = jit((x: W.Tensor) => x.sin().mul(x).sum());
    const x = t([9], 8);
    close(await grad(f)(x).data(), await x.cos().mul(x).add(x.sin()).data());
  });

  it('the second call creates no pipeline', async () => {
    const f = jit(layer);
    const w = t([8, 8], 9),
      b = t([8], 10);
    await f(t([16, 8], 11), w, b).data();
    const p = await profile(() => f(t([16, 8], 12), w, b).data());
    expect(p.pipelines).toBe(0);
    expect(p.kernels).toBeGreaterThan(0);
  });
});

describeWebGPU('jit on WebGPU', () => {
  it('the second call creates no pipeline and allocates no new buffer', async () => {
    const f = jit(layer);
    const t = (shape: number[], seed: number) =>
      tensor(
        lcg(
          shape.reduce((a, b) => a * b, 1),
          seed,
        ),
        { shape },
      );
    const w = t([32, 16], 1),
      b = t([16], 2);
    const x1 = t([64, 32], 3);
    const r1 = f(x1, w, b);
    const v1 = await r1.data();
    r1.dispose();
    x1.dispose();
    const x2 = t([64, 32], 4);
    const p = await profile(async () => {
      const r2 = f(x2, w, b);
      const v = await r2.data();
      r2.dispose();
      return v;
    });
    expect(p.pipelines).toBe(0);
    expect(p.bytesAllocated).toBe(0);
    expect(p.kernels).toBeGreaterThan(0);
    expect(f.stats).toEqual({ traces: 1, replays: 1 });
    expectClose(p.result, await layer(x2, w, b).data(), 1e-4, 1e-5);
    expect(Array.from(p.result)).not.toEqual(Array.from(v1));
  });
});
