// Clear errors instead of WebGPU validation messages: float64 tensors, device limits (buffer
// size), and dispatches beyond 65535 workgroups per dimension (split over two dimensions).

import { expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { BackendError, DTypeError, tensor } from '../../src/index.js';
import { describeWebGPU } from './adapter.js';
import { expectClose, gpu } from './util.js';

describeWebGPU('WebGPU errors and limits', () => {
  it('creating a float64 tensor while WebGPU is active is a DTypeError naming the op, at build time', () => {
    expect(() => tensor([1, 2, 3], { dtype: 'float64' })).toThrow(DTypeError);
    expect(() => tensor([1, 2, 3], { dtype: 'float64' })).toThrow(/tensor: float64 is not supported on the WebGPU backend/);
    expect(() => W.zeros([2], { dtype: 'float64' })).toThrow(/zeros: float64/);
    expect(() => W.randn([2], { dtype: 'float64', seed: 1 })).toThrow(/randn: float64/);
    expect(() => tensor([1, 2]).astype('float64')).toThrow(/astype: float64/);
  });

  it('a float64 tensor made on the CPU and used on WebGPU is a DTypeError naming the ops', async () => {
    await W.init({ backend: 'cpu' });
    const x = tensor([1, 2, 3], { dtype: 'float64' });
    const built = x.exp(); // a graph built while the CPU was active fails when it is read
    await W.init({ backend: 'webgpu' });
    await expect(built.data()).rejects.toThrow(DTypeError);
    await expect(built.data()).rejects.toThrow(/exp: float64 is not supported on the WebGPU backend/);
    // an op built on it now fails at once (build time)
    expect(() => x.exp()).toThrow(DTypeError);
    expect(() => x.exp()).toThrow(/exp: float64 is not supported on the WebGPU backend/);
    // the backend still works afterwards
    expect(await tensor([1, 2, 3]).mul(2).array()).toEqual([2, 4, 6]);
  });

  it('a result larger than the device allows is a BackendError naming the limit', async () => {
    const limit = gpu().device.limits.maxStorageBufferBindingSize;
    const n = Math.floor(limit / 4) + 16;
    // built while WebGPU is active: at once (build time)
    expect(() => W.full([1], 1).broadcastTo([n])).toThrow(BackendError);
    expect(() => W.full([1], 1).broadcastTo([n])).toThrow(/broadcastTo.*maxBufferSize|maxStorageBufferBindingSize/);
    // built while the CPU was active: when realized on WebGPU
    await W.init({ backend: 'cpu' });
    const big = W.full([1], 1).broadcastTo([n]).mul(2);
    await W.init({ backend: 'webgpu' });
    const live = gpu().stats.liveBytes;
    expect(() => W._realizeNodes([big.node])).toThrow(BackendError);
    expect(() => W._realizeNodes([big.node])).toThrow(/maxBufferSize|maxStorageBufferBindingSize/);
    expect(gpu().stats.liveBytes).toBe(live); // nothing leaked
    expect(await tensor([1, 2]).add(1).array()).toEqual([2, 3]);
  });

  it('more than 65535 workgroups: elementwise kernels use a 2-D grid', async () => {
    const wg = gpu().info.slowBarriers ? 64 : 256; // the elementwise template's workgroup size
    const n = 65535 * wg + 1000; // one workgroup dimension is not enough
    const y = W.arange(n).mul(0.5).add(1);
    const d = await y.data();
    expect(d.length).toBe(n);
    const f = Math.fround;
    let bad = 0;
    for (let i = 0; i < n; i++) if (d[i] !== f(f(f(i) * 0.5) + 1)) bad++;
    expect(bad).toBe(0);
    expect(d[n - 1]).toBe(f(f(f(n - 1) * 0.5) + 1));
  });

  it('more than 65535 workgroups: a batched matmul of 70000 small products', async () => {
    const B = 70000;
    const a = W.arange(B * 2)
        .reshape([B, 1, 2])
        .mul(1e-4),
      b = W.arange(B * 2)
        .reshape([B, 2, 1])
        .mul(-1e-4)
        .add(1);
    const c = await a.matmul(b).reshape([B]).data();
    const want = Array.from({ length: B }, (_, i) => {
      const a0 = 2 * i * 1e-4,
        a1 = (2 * i + 1) * 1e-4;
      return a0 * (1 - 2 * i * 1e-4) + a1 * (1 - (2 * i + 1) * 1e-4);
    });
    expectClose(c, want, 1e-4, 1e-5);
  });

  it('reading a disposed tensor is an error, not garbage', async () => {
    const x = tensor([1, 2, 3]).exp();
    await x.data();
    x.dispose();
    await expect(x.data()).rejects.toThrow(/disposed/);
  });
});
